/**
 * A received SIP message over its one Buffer. The parser has indexed the header lines (offsets
 * only) and read what routing needs on every message: the top Via, From/To with their tags,
 * Call-ID, CSeq and Max-Forwards. Everything else is decoded on first access and cached.
 *
 * A request missing From, To, Call-ID or CSeq, or carrying an unparseable one, is still returned
 * by the parser so that the sanity checks can answer it (RFC 3261 §8.2.6, §16.3); those fields then
 * hold empty placeholders (`uri: ''`, `callId: ''`, `cseq.seq: NaN`). Code running after the sanity
 * checks never sees a placeholder.
 */
import { canonicalHeaderName, HeaderName, isListHeader } from './header-names.js';
import { decodeHeaderValue, splitListRanges } from './header-value.js';
import type { NameAddr } from './name-addr.js';
import { parseNameAddr } from './name-addr.js';
import type { SipUri } from './sip-uri.js';
import { parseUri } from './sip-uri.js';
import type { Via } from './via.js';
import { parseVia } from './via.js';
import type { RequestLine, StatusLine } from './start-line.js';

export interface HeaderField {
  /** Canonical lower-case name (compact forms resolved). */
  readonly name: string;
  readonly lineStart: number;
  /** End of the (last physical) line, excluding its CRLF. */
  readonly lineEnd: number;
  readonly valueStart: number;
  readonly valueEnd: number;
}

export interface CSeq {
  /** 32-bit unsigned sequence number (RFC 3261 §8.1.1.5); NaN when absent or not one. */
  readonly seq: number;
  /** Case-sensitive method token; empty when absent. */
  readonly method: string;
}

export const EMPTY_NAME_ADDR: NameAddr = Object.freeze({
  display: undefined,
  uri: '',
  params: new Map<string, string | null>(),
  tag: undefined,
  raw: '',
});

/** Offsets and eagerly read facts the parser hands to a message. */
export interface MessageInit {
  readonly raw: Buffer;
  readonly messageStart: number;
  readonly startLineEnd: number;
  readonly headers: readonly HeaderField[];
  readonly headerBlockEnd: number;
  readonly bodyStart: number;
  readonly body: Buffer;
  readonly contentLength: number | undefined;
  readonly contentLengthInvalid: boolean;
  readonly topVia: Via;
  readonly callId: string;
  readonly cseq: CSeq;
  readonly from: NameAddr;
  readonly to: NameAddr;
  readonly maxForwards: number | undefined;
  readonly maxForwardsInvalid: boolean;
}

export abstract class SipMessageBase {
  abstract readonly kind: 'request' | 'response';
  abstract readonly version: string;
  readonly raw: Buffer;
  /** Offset of the start line (leading CRLFs, RFC 3261 §7.5, are skipped). */
  readonly messageStart: number;
  /** End of the start line, excluding its CRLF. */
  readonly startLineEnd: number;
  readonly headers: readonly HeaderField[];
  /** Offset of the empty line that ends the header fields. */
  readonly headerBlockEnd: number;
  readonly bodyStart: number;
  /** Body bytes: Content-Length of them when the datagram holds more (§18.3), else what there is. */
  readonly body: Buffer;
  /** Content-Length value; undefined when absent or not a number (see `contentLengthInvalid`). */
  readonly contentLength: number | undefined;
  readonly contentLengthInvalid: boolean;
  readonly topVia: Via;
  readonly callId: string;
  readonly cseq: CSeq;
  readonly from: NameAddr;
  readonly to: NameAddr;
  /** Max-Forwards when present and an integer 0..255; see `maxForwardsInvalid`. */
  readonly maxForwards: number | undefined;
  /** Max-Forwards is present but not an integer from 0 to 255 (RFC 3261 §20.22). */
  readonly maxForwardsInvalid: boolean;

  private viasCache: Via[] | undefined = undefined;
  private routesCache: NameAddr[] | undefined = undefined;
  private recordRoutesCache: NameAddr[] | undefined = undefined;
  private contactsCache: NameAddr[] | undefined = undefined;
  private contactStarCache = false;
  private fromUriCache: SipUri | undefined | null = null;
  private toUriCache: SipUri | undefined | null = null;

  protected constructor(init: MessageInit) {
    this.raw = init.raw;
    this.messageStart = init.messageStart;
    this.startLineEnd = init.startLineEnd;
    this.headers = init.headers;
    this.headerBlockEnd = init.headerBlockEnd;
    this.bodyStart = init.bodyStart;
    this.body = init.body;
    this.contentLength = init.contentLength;
    this.contentLengthInvalid = init.contentLengthInvalid;
    this.topVia = init.topVia;
    this.callId = init.callId;
    this.cseq = init.cseq;
    this.from = init.from;
    this.to = init.to;
    this.maxForwards = init.maxForwards;
    this.maxForwardsInvalid = init.maxForwardsInvalid;
  }

  /** All lines of a header, in order; `name` in any case, full or compact form. */
  headerFields(name: string): HeaderField[] {
    const canonical = canonicalHeaderName(name);
    const out: HeaderField[] = [];
    for (const field of this.headers) if (field.name === canonical) out.push(field);
    return out;
  }

  hasHeader(name: string): boolean {
    const canonical = canonicalHeaderName(name);
    for (const field of this.headers) if (field.name === canonical) return true;
    return false;
  }

  /** Value of the first line of a header, folding collapsed to one SP; undefined when absent. */
  header(name: string): string | undefined {
    const canonical = canonicalHeaderName(name);
    for (const field of this.headers) {
      if (field.name === canonical) return this.fieldValue(field);
    }
    return undefined;
  }

  fieldValue(field: HeaderField): string {
    return decodeHeaderValue(this.raw, field.valueStart, field.valueEnd);
  }

  /**
   * Every value of a header across its lines. Values of list headers (see `isListHeader`) are
   * split at commas outside quoted strings and <URI>s (RFC 3261 §7.3.1); others are whole lines.
   */
  headerValues(name: string): string[] {
    const canonical = canonicalHeaderName(name);
    const list = isListHeader(canonical);
    const out: string[] = [];
    for (const field of this.headers) {
      if (field.name !== canonical) continue;
      if (!list) {
        out.push(this.fieldValue(field));
        continue;
      }
      const ranges = splitListRanges(this.raw, field.valueStart, field.valueEnd);
      for (let i = 0; i + 1 < ranges.length; i += 2) {
        out.push(decodeHeaderValue(this.raw, ranges[i] ?? 0, ranges[i + 1] ?? 0));
      }
    }
    return out;
  }

  /** Every Via value in order; values that do not parse are left out. */
  get vias(): Via[] {
    if (this.viasCache === undefined) {
      const out: Via[] = [];
      for (const value of this.headerValues(HeaderName.via)) {
        const via = parseVia(value);
        if (via !== undefined) out.push(via);
      }
      this.viasCache = out;
    }
    return this.viasCache;
  }

  /** Route values in order; values that do not parse as name-addr are left out. */
  get routes(): NameAddr[] {
    this.routesCache ??= this.nameAddrs(HeaderName.route);
    return this.routesCache;
  }

  get recordRoutes(): NameAddr[] {
    this.recordRoutesCache ??= this.nameAddrs(HeaderName.recordRoute);
    return this.recordRoutesCache;
  }

  /** Contact values in order, without the `*` of a REGISTER removing all bindings (§10.2.2). */
  get contacts(): NameAddr[] {
    if (this.contactsCache === undefined) {
      const out: NameAddr[] = [];
      for (const value of this.headerValues(HeaderName.contact)) {
        if (value === '*') {
          this.contactStarCache = true;
          continue;
        }
        const addr = parseNameAddr(value);
        if (addr !== undefined) out.push(addr);
      }
      this.contactsCache = out;
    }
    return this.contactsCache;
  }

  /** The From URI parsed on first access; undefined when absent or not a valid URI. */
  get fromUri(): SipUri | undefined {
    if (this.fromUriCache === null) this.fromUriCache = this.from.uri === '' ? undefined : parseUri(this.from.uri);
    return this.fromUriCache;
  }

  /** The To URI parsed on first access; undefined when absent or not a valid URI. */
  get toUri(): SipUri | undefined {
    if (this.toUriCache === null) this.toUriCache = this.to.uri === '' ? undefined : parseUri(this.to.uri);
    return this.toUriCache;
  }

  /** A Contact value is the lone `*` (RFC 3261 §10.2.2, §20.10). */
  get contactStar(): boolean {
    void this.contacts;
    return this.contactStarCache;
  }

  private nameAddrs(canonical: string): NameAddr[] {
    const out: NameAddr[] = [];
    for (const value of this.headerValues(canonical)) {
      const addr = parseNameAddr(value);
      if (addr !== undefined) out.push(addr);
    }
    return out;
  }
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request' as const;
  /** Method token as received; methods are case-sensitive (RFC 3261 §7.1). */
  readonly method: string;
  readonly requestUri: string;
  readonly requestUriStart: number;
  readonly requestUriEnd: number;
  readonly version: string;
  private uriCache: SipUri | undefined | null = null;

  constructor(init: MessageInit, line: RequestLine) {
    super(init);
    this.method = line.method;
    this.requestUriStart = line.uriStart;
    this.requestUriEnd = line.uriEnd;
    this.requestUri = init.raw.toString('latin1', line.uriStart, line.uriEnd);
    this.version = line.version;
  }

  /** The Request-URI parsed on first access; undefined when it is not a valid sip, sips or tel URI. */
  get uri(): SipUri | undefined {
    if (this.uriCache === null) this.uriCache = parseUri(this.requestUri);
    return this.uriCache;
  }
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response' as const;
  readonly status: number;
  readonly reason: string;
  readonly version: string;

  constructor(init: MessageInit, line: StatusLine) {
    super(init);
    this.status = line.status;
    this.reason = line.reason;
    this.version = line.version;
  }
}

export type SipMessage = SipRequest | SipResponse;
