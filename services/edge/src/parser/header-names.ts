/**
 * Header field names: one interned, canonical lower-case string per known header, the compact
 * forms of RFC 3261 §7.3.3 and later RFCs folded onto their full names, and a case-insensitive
 * lookup straight from the received bytes that allocates nothing for a known name. Code compares
 * header names with `===` against the `HeaderName` constants.
 */

export const HeaderName = {
  accept: 'accept',
  acceptContact: 'accept-contact',
  acceptEncoding: 'accept-encoding',
  acceptLanguage: 'accept-language',
  alertInfo: 'alert-info',
  allow: 'allow',
  allowEvents: 'allow-events',
  authenticationInfo: 'authentication-info',
  authorization: 'authorization',
  callId: 'call-id',
  callInfo: 'call-info',
  contact: 'contact',
  contentDisposition: 'content-disposition',
  contentEncoding: 'content-encoding',
  contentLanguage: 'content-language',
  contentLength: 'content-length',
  contentType: 'content-type',
  cseq: 'cseq',
  date: 'date',
  errorInfo: 'error-info',
  event: 'event',
  expires: 'expires',
  from: 'from',
  historyInfo: 'history-info',
  identity: 'identity',
  identityInfo: 'identity-info',
  inReplyTo: 'in-reply-to',
  maxForwards: 'max-forwards',
  mimeVersion: 'mime-version',
  minExpires: 'min-expires',
  minSe: 'min-se',
  organization: 'organization',
  pAssertedIdentity: 'p-asserted-identity',
  pPreferredIdentity: 'p-preferred-identity',
  path: 'path',
  priority: 'priority',
  privacy: 'privacy',
  proxyAuthenticate: 'proxy-authenticate',
  proxyAuthorization: 'proxy-authorization',
  proxyRequire: 'proxy-require',
  rack: 'rack',
  reason: 'reason',
  recordRoute: 'record-route',
  referTo: 'refer-to',
  referredBy: 'referred-by',
  rejectContact: 'reject-contact',
  replaces: 'replaces',
  replyTo: 'reply-to',
  requestDisposition: 'request-disposition',
  require: 'require',
  retryAfter: 'retry-after',
  route: 'route',
  rseq: 'rseq',
  securityClient: 'security-client',
  securityServer: 'security-server',
  securityVerify: 'security-verify',
  server: 'server',
  serviceRoute: 'service-route',
  sessionExpires: 'session-expires',
  sipEtag: 'sip-etag',
  sipIfMatch: 'sip-if-match',
  subject: 'subject',
  subscriptionState: 'subscription-state',
  supported: 'supported',
  timestamp: 'timestamp',
  to: 'to',
  unsupported: 'unsupported',
  userAgent: 'user-agent',
  via: 'via',
  warning: 'warning',
  wwwAuthenticate: 'www-authenticate',
} as const;
export type KnownHeaderName = (typeof HeaderName)[keyof typeof HeaderName];

/** Compact forms: RFC 3261 §7.3.3 and the RFCs that registered the others (3515, 3892, 3265, 4028, 3841, 4474). */
const COMPACT_FORMS: Readonly<Record<string, KnownHeaderName>> = {
  i: HeaderName.callId,
  m: HeaderName.contact,
  e: HeaderName.contentEncoding,
  l: HeaderName.contentLength,
  c: HeaderName.contentType,
  f: HeaderName.from,
  s: HeaderName.subject,
  k: HeaderName.supported,
  t: HeaderName.to,
  v: HeaderName.via,
  r: HeaderName.referTo,
  b: HeaderName.referredBy,
  o: HeaderName.event,
  u: HeaderName.allowEvents,
  x: HeaderName.sessionExpires,
  a: HeaderName.acceptContact,
  j: HeaderName.rejectContact,
  d: HeaderName.requestDisposition,
  y: HeaderName.identity,
  n: HeaderName.identityInfo,
};

/**
 * Headers whose grammar is `value *(COMMA value)` (RFC 3261 §7.3.1: such headers may be split over
 * several lines or joined on one). Contact may also be the single value `*` (§20.10). Not listed,
 * on purpose: WWW-Authenticate, Authorization, Proxy-Authenticate, Proxy-Authorization and
 * Authentication-Info carry comma-separated parameters inside one value (§25.1 challenge and
 * credentials), and Date, Retry-After, Subject, Server, User-Agent allow commas in free text.
 */
const LIST_HEADERS: ReadonlySet<string> = new Set<string>([
  HeaderName.accept,
  HeaderName.acceptContact,
  HeaderName.acceptEncoding,
  HeaderName.acceptLanguage,
  HeaderName.alertInfo,
  HeaderName.allow,
  HeaderName.allowEvents,
  HeaderName.callInfo,
  HeaderName.contact,
  HeaderName.contentEncoding,
  HeaderName.contentLanguage,
  HeaderName.errorInfo,
  HeaderName.historyInfo,
  HeaderName.inReplyTo,
  HeaderName.pAssertedIdentity,
  HeaderName.pPreferredIdentity,
  HeaderName.path,
  HeaderName.proxyRequire,
  HeaderName.reason,
  HeaderName.recordRoute,
  HeaderName.rejectContact,
  HeaderName.requestDisposition,
  HeaderName.require,
  HeaderName.route,
  HeaderName.securityClient,
  HeaderName.securityServer,
  HeaderName.securityVerify,
  HeaderName.serviceRoute,
  HeaderName.supported,
  HeaderName.unsupported,
  HeaderName.via,
  HeaderName.warning,
]);

/** Wire spellings where the usual Capitalised-Words form is not the conventional one. */
const WIRE_SPELLINGS: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'mime-version': 'MIME-Version',
  'min-se': 'Min-SE',
  rack: 'RAck',
  rseq: 'RSeq',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
  'www-authenticate': 'WWW-Authenticate',
};

export function isListHeader(canonicalName: string): boolean {
  return LIST_HEADERS.has(canonicalName);
}

/** Full and compact spellings, lower-cased, to the canonical name. */
const BY_LOWER_STRING: ReadonlyMap<string, KnownHeaderName> = new Map<string, KnownHeaderName>([
  ...Object.values(HeaderName).map((n): [string, KnownHeaderName] => [n, n]),
  ...Object.entries(COMPACT_FORMS),
]);

/**
 * Canonical lower-case name for any spelling a caller uses ('Via', 'v', 'CALL-ID'). Header names
 * are case-insensitive (RFC 3261 §7.3.1); compact and full forms are equivalent (§7.3.3).
 */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return BY_LOWER_STRING.get(lower) ?? lower;
}

/** The conventional wire spelling of a canonical name, for headers this stack writes itself. */
export function wireHeaderName(canonicalName: string): string {
  const special = WIRE_SPELLINGS[canonicalName];
  if (special !== undefined) return special;
  let out = '';
  let upper = true;
  for (let i = 0; i < canonicalName.length; i++) {
    const ch = canonicalName.charAt(i);
    out += upper ? ch.toUpperCase() : ch;
    upper = ch === '-';
  }
  return out;
}

interface NameEntry {
  readonly lower: Uint8Array;
  readonly name: KnownHeaderName;
}

/** Full names bucketed by length, then compared byte by byte: no allocation for a known name. */
const FULL_BY_LENGTH: readonly (readonly NameEntry[])[] = buildLengthTable();
/** Compact forms indexed by their lower-case byte. */
const COMPACT_BY_BYTE: readonly (KnownHeaderName | undefined)[] = buildCompactTable();

function buildLengthTable(): NameEntry[][] {
  const table: NameEntry[][] = [];
  for (const name of Object.values(HeaderName)) {
    let bucket = table[name.length];
    if (bucket === undefined) {
      bucket = [];
      table[name.length] = bucket;
    }
    bucket.push({ lower: Buffer.from(name, 'latin1'), name });
  }
  for (let i = 0; i < table.length; i++) if (table[i] === undefined) table[i] = [];
  return table;
}

function buildCompactTable(): (KnownHeaderName | undefined)[] {
  const table: (KnownHeaderName | undefined)[] = new Array<KnownHeaderName | undefined>(128).fill(undefined);
  for (const [letter, name] of Object.entries(COMPACT_FORMS)) table[letter.charCodeAt(0)] = name;
  return table;
}

/**
 * Canonical name of the header name occupying `buf[start, end)`. The bytes must be token
 * characters (the header scanner guarantees it): OR-ing 0x20 then lower-cases letters without
 * aliasing any other token character onto a letter.
 */
export function lookupHeaderName(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len === 1) {
    const known = COMPACT_BY_BYTE[(buf[start] ?? 0) | 0x20];
    if (known !== undefined) return known;
  } else {
    const bucket = FULL_BY_LENGTH[len];
    if (bucket !== undefined) {
      for (const entry of bucket) {
        let i = 0;
        while (i < len && ((buf[start + i] ?? 0) | 0x20) === entry.lower[i]) i++;
        if (i === len) return entry.name;
      }
    }
  }
  return buf.toString('latin1', start, end).toLowerCase();
}
