/**
 * Reading SIP message text in test assertions (what SIPp saw, from its
 * message trace). Not the edge's parser: plain string work, tolerant,
 * written for clarity over speed.
 *
 *   startLine(text)                 "INVITE sip:x@h SIP/2.0" / "SIP/2.0 200 OK"
 *   requestMethod(text)             "INVITE" | undefined for a response
 *   responseStatus(text)            200 | undefined for a request
 *   headerValues(text, name)        one string per header line (compact forms
 *                                   understood, RFC 3261 7.3.3), folded lines joined
 *   headerElements(text, name)      the comma-separated values of all those lines
 *                                   (commas inside <...> or "..." kept)
 *   callId(text), cseq(text)        { number, method }
 *   viaBranch(viaValue), viaSentBy(viaValue)
 *   messageBody(text)
 */

/** RFC 3261 7.3.3 compact forms, plus the common RFC 3265/3515/4028 ones. */
const COMPACT_FORMS: Readonly<Record<string, string>> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  e: 'content-encoding',
  s: 'subject',
  k: 'supported',
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
};

function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT_FORMS[lower] ?? lower;
}

function headerBlock(text: string): string {
  const end = text.indexOf('\r\n\r\n');
  return end < 0 ? text : text.slice(0, end);
}

export function startLine(text: string): string {
  const end = text.indexOf('\r\n');
  return end < 0 ? text : text.slice(0, end);
}

export function requestMethod(text: string): string | undefined {
  const line = startLine(text);
  if (line.startsWith('SIP/')) return undefined;
  const space = line.indexOf(' ');
  return space < 0 ? undefined : line.slice(0, space);
}

export function responseStatus(text: string): number | undefined {
  const line = startLine(text);
  if (!line.startsWith('SIP/')) return undefined;
  const status = Number(line.split(' ')[1]);
  return Number.isInteger(status) ? status : undefined;
}

/** Header lines after the start line, with folded continuation lines joined (RFC 3261 7.3.1). */
function headerLines(text: string): string[] {
  const raw = headerBlock(text).split('\r\n').slice(1);
  const lines: string[] = [];
  for (const line of raw) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 0) {
      lines[lines.length - 1] += ' ' + line.trim();
    } else {
      lines.push(line);
    }
  }
  return lines;
}

export function headerValues(text: string, name: string): string[] {
  const wanted = canonicalName(name);
  const values: string[] = [];
  for (const line of headerLines(text)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (canonicalName(line.slice(0, colon)) === wanted) values.push(line.slice(colon + 1).trim());
  }
  return values;
}

/** Splits a header value on commas that are not inside <...> or "...". */
export function splitHeaderList(value: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && ch === ',') {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(value.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

export function headerElements(text: string, name: string): string[] {
  return headerValues(text, name).flatMap(splitHeaderList);
}

export function callId(text: string): string | undefined {
  return headerValues(text, 'Call-ID')[0];
}

export function cseq(text: string): { number: number; method: string } | undefined {
  const value = headerValues(text, 'CSeq')[0];
  if (value === undefined) return undefined;
  const [num, method] = value.split(/\s+/);
  if (num === undefined || method === undefined) return undefined;
  return { number: Number(num), method };
}

/** The branch parameter of one Via value. */
export function viaBranch(via: string): string | undefined {
  for (const param of via.split(';').slice(1)) {
    const [key, value] = param.split('=');
    if (key?.trim().toLowerCase() === 'branch') return value?.trim();
  }
  return undefined;
}

/** "host:port" of one Via value ("SIP/2.0/UDP 127.0.0.1:16000;branch=..."). */
export function viaSentBy(via: string): string | undefined {
  const protocolEnd = via.indexOf(' ');
  if (protocolEnd < 0) return undefined;
  return via.slice(protocolEnd + 1).split(';')[0]?.trim();
}

export function messageBody(text: string): string {
  const end = text.indexOf('\r\n\r\n');
  return end < 0 ? '' : text.slice(end + 4);
}
