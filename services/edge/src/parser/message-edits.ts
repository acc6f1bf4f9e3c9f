/**
 * Changes to a received message, recorded rather than applied (Kamailio's "lumps"): a proxy
 * derives several branches from one request, each with its own edits, and `serialize` applies
 * each set once, in one pass, copying untouched bytes verbatim. Fields are addressed by the
 * `HeaderField` objects of the message the edits will be applied to.
 */
import { canonicalHeaderName } from './header-names.js';
import type { HeaderField } from './sip-message.js';

/**
 * A header line (or value) as given by a caller, without its trailing CRLF. CR or LF inside would
 * inject header lines: that is a programming error, thrown as a RangeError.
 */
export function checkedLine(line: string): string {
  const trimmed = line.endsWith('\r\n') ? line.slice(0, -2) : line;
  if (trimmed.indexOf('\r') >= 0 || trimmed.indexOf('\n') >= 0) {
    throw new RangeError('a header line must not contain CR or LF');
  }
  return trimmed;
}

export class MessageEdits {
  private requestUriValue: string | undefined = undefined;
  private readonly prepended: string[] = [];
  private readonly appended: string[] = [];
  private readonly removedLines = new Set<number>();
  private readonly removedNames = new Set<string>();
  private readonly poppedValues = new Map<number, number>();
  private readonly replacedValues = new Map<number, string>();
  private bodyValue: Buffer | undefined = undefined;
  private contentTypeValue: string | undefined = undefined;

  /** Replaces the Request-URI (requests only; ignored when serializing a response). */
  setRequestUri(uri: string): this {
    this.requestUriValue = checkedLine(uri);
    return this;
  }

  /** Inserts a whole line ('Via: SIP/2.0/UDP ...') before the first header, in call order. */
  prependHeader(line: string): this {
    this.prepended.push(checkedLine(line));
    return this;
  }

  /** Inserts a whole line after the last header, in call order. */
  appendHeader(line: string): this {
    this.appended.push(checkedLine(line));
    return this;
  }

  /** Drops a whole header line (all its values). */
  removeHeader(field: HeaderField): this {
    this.removedLines.add(field.lineStart);
    return this;
  }

  /** Drops every line of a header; `name` in any case, full or compact form. */
  removeHeaders(name: string): this {
    this.removedNames.add(canonicalHeaderName(name));
    return this;
  }

  /**
   * Drops the first value of a comma-list line (e.g. the Route naming this proxy, RFC 3261
   * §16.4); called again on the same field, drops the next one. A line left with no value goes.
   */
  removeFirstValue(field: HeaderField): this {
    this.poppedValues.set(field.lineStart, (this.poppedValues.get(field.lineStart) ?? 0) + 1);
    return this;
  }

  /** Replaces the value of one header line, keeping its name as received. */
  replaceHeaderValue(field: HeaderField, value: string): this {
    this.replacedValues.set(field.lineStart, checkedLine(value));
    return this;
  }

  /**
   * Replaces the body. Content-Length is recomputed; Content-Type is set when given, and removed
   * when the new body is empty and no type is given.
   */
  setBody(body: Buffer, contentType?: string): this {
    this.bodyValue = body;
    this.contentTypeValue = contentType === undefined ? undefined : checkedLine(contentType);
    return this;
  }

  get requestUri(): string | undefined {
    return this.requestUriValue;
  }

  get prependedLines(): readonly string[] {
    return this.prepended;
  }

  get appendedLines(): readonly string[] {
    return this.appended;
  }

  get body(): Buffer | undefined {
    return this.bodyValue;
  }

  get contentType(): string | undefined {
    return this.contentTypeValue;
  }

  isRemoved(field: HeaderField): boolean {
    return this.removedLines.has(field.lineStart) || this.removedNames.has(field.name);
  }

  /** How many leading values of this line to drop. */
  poppedCount(field: HeaderField): number {
    return this.poppedValues.get(field.lineStart) ?? 0;
  }

  replacement(field: HeaderField): string | undefined {
    return this.replacedValues.get(field.lineStart);
  }

  /** Nothing recorded: serializing gives the received bytes. */
  get isEmpty(): boolean {
    return (
      this.requestUriValue === undefined &&
      this.prepended.length === 0 &&
      this.appended.length === 0 &&
      this.removedLines.size === 0 &&
      this.removedNames.size === 0 &&
      this.poppedValues.size === 0 &&
      this.replacedValues.size === 0 &&
      this.bodyValue === undefined
    );
  }
}
