/**
 * Transaction matching keys (RFC 3261 §17.1.3, §17.2.3, §9.2), built from fields the parser has
 * already extracted, as plain strings: matching is a Map lookup on one string.
 *
 * Keys are readable (they are logged as `txKey`): fields are joined with a space, which no token,
 * host, port, Call-ID or Request-URI may contain; the only field that may (a whole Via value, in the
 * RFC 2543 fallback) comes last. Hosts compare case-insensitively (§19.1.4), methods case-sensitively
 * (§7.1), branches as opaque strings.
 */

/** §8.1.1.7: a branch starting with this cookie was built by an RFC 3261 element. */
export const RFC3261_BRANCH_COOKIE = 'z9hG4bK';

export function isRfc3261Branch(branch: string): boolean {
  return branch.startsWith(RFC3261_BRANCH_COOKIE);
}

export interface TransactionKeyInput {
  /** `branch` parameter of the top Via. */
  readonly branch: string;
  /** Host of the top Via sent-by. */
  readonly sentByHost: string;
  /** Port of the top Via sent-by as written, '' when absent. */
  readonly sentByPort: string;
  /** Request method (server side). */
  readonly method: string;
  /** CSeq method (client side: of the response being matched). */
  readonly cseqMethod: string;
}

/**
 * §17.1.3: a response matches the client transaction whose request had the same top Via branch and
 * whose method is the response's CSeq method (so a CANCEL and its INVITE, sharing the branch, are
 * two transactions). Our own branches always carry the cookie, so no RFC 2543 fallback is needed.
 */
export function clientTransactionKey(input: Pick<TransactionKeyInput, 'branch' | 'cseqMethod'>): string {
  return `${input.branch} ${input.cseqMethod}`;
}

/**
 * §17.2.3: branch, sent-by and method; an ACK matches the INVITE transaction it acknowledges, a
 * CANCEL is a transaction of its own. Only for branches with the cookie (`isRfc3261Branch`).
 */
export function serverTransactionKey(input: Pick<TransactionKeyInput, 'branch' | 'sentByHost' | 'sentByPort' | 'method'>): string {
  const method = input.method === 'ACK' ? 'INVITE' : input.method;
  return `${input.branch} ${sentBy(input.sentByHost, input.sentByPort)} ${method}`;
}

/**
 * §9.2: the transaction a CANCEL cancels is found by matching the CANCEL as if its method were the
 * cancelled request's; only INVITE transactions are worth cancelling (§9.1), so that is INVITE.
 */
export function cancelTargetKey(input: Pick<TransactionKeyInput, 'branch' | 'sentByHost' | 'sentByPort'>): string {
  return `${input.branch} ${sentBy(input.sentByHost, input.sentByPort)} INVITE`;
}

/** Fields for matching requests whose branch lacks the cookie (RFC 2543 peers), §17.2.3. */
export interface Rfc2543KeyInput {
  readonly requestUri: string;
  readonly callId: string;
  /** '' when absent. */
  readonly fromTag: string;
  /** '' when absent. */
  readonly toTag: string;
  /** CSeq sequence number as written. */
  readonly cseqNumber: string;
  readonly method: string;
  /** The top Via field value as received (its first value when several are combined). */
  readonly topVia: string;
}

const RFC2543_PREFIX = 'rfc2543';

/**
 * §17.2.3 for RFC 2543 requests: Request-URI, To tag, From tag, Call-ID, CSeq and top Via.
 *
 * INVITE and ACK share one key that leaves the To tag out: an ACK carries the To tag of the
 * response (not of the INVITE), and an INVITE retransmission has the same To tag as the original, so
 * the tag adds nothing to the INVITE match. §17.2.3 also asks that the ACK's To tag equal that of the
 * response sent; the TU, which can parse the response, checks that on the transaction found.
 */
export function rfc2543ServerKey(input: Rfc2543KeyInput): string {
  if (input.method === 'INVITE' || input.method === 'ACK') return rfc2543InviteKey(input);
  return `${RFC2543_PREFIX} ${input.method} ${input.requestUri} ${input.toTag} ${input.fromTag} ${input.callId} ${input.cseqNumber} ${input.topVia}`;
}

/** §9.2 for RFC 2543 requests: the INVITE a CANCEL cancels (same R-URI, tags, Call-ID, CSeq number, top Via). */
export function rfc2543CancelTargetKey(input: Omit<Rfc2543KeyInput, 'method'>): string {
  return rfc2543InviteKey(input);
}

function rfc2543InviteKey(input: Omit<Rfc2543KeyInput, 'method' | 'toTag'>): string {
  return `${RFC2543_PREFIX} INVITE ${input.requestUri} ${input.fromTag} ${input.callId} ${input.cseqNumber} ${input.topVia}`;
}

function sentBy(host: string, port: string): string {
  const lowerHost = host.toLowerCase();
  return port === '' ? lowerHost : `${lowerHost}:${port}`;
}
