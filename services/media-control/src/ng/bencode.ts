/**
 * Bencode (BEP 3), the encoding of rtpengine's ng protocol.
 *
 *   encodeBencode({ command: 'ping' })        -> Buffer 'd7:command4:pinge'
 *   decodeBencode(buf, options?)              -> strings as Buffers (bytes kept exact)
 *   decodeBencodeStrings(buf, options?)       -> strings decoded as UTF-8
 *
 * Design: the decoder reads datagrams from the network, so it is strict and bounded. It is a
 * loop with an explicit stack (no recursion at all), nesting is capped (`maxDepth`), and so are
 * the input size and the number of values; every failure is a BencodeError with the byte offset.
 * Integers must fit a JavaScript number exactly. Dictionary keys must be unique; their order is
 * not checked unless asked (`sortedKeys`): BEP 3 wants them sorted, but rtpengine writes its
 * replies in insertion order. Decoded dictionaries have no prototype, so a key such as
 * `__proto__` is an ordinary key. The encoder sorts keys by their bytes, as BEP 3 requires.
 */

export const BencodeErrorCode = {
  /** Input ended inside a value. */
  truncated: 'BENCODE_TRUNCATED',
  /** A byte that cannot start or continue a value here. */
  unexpectedByte: 'BENCODE_UNEXPECTED_BYTE',
  /** Integer or string length not in canonical form (leading zeros, `-0`, empty, too long). */
  badNumber: 'BENCODE_BAD_NUMBER',
  /** Integer outside the safe integer range. */
  integerRange: 'BENCODE_INTEGER_RANGE',
  /** A dictionary key appears twice, or (with `sortedKeys`) out of order. */
  badKey: 'BENCODE_BAD_KEY',
  /** Bytes after the first complete value. */
  trailingData: 'BENCODE_TRAILING_DATA',
  /** Nesting deeper than `maxDepth`. */
  tooDeep: 'BENCODE_TOO_DEEP',
  /** Input or value count over its limit. */
  tooLarge: 'BENCODE_TOO_LARGE',
  /** The encoder was given a value bencode cannot represent. */
  unsupportedValue: 'BENCODE_UNSUPPORTED_VALUE',
} as const;
export type BencodeErrorCode = (typeof BencodeErrorCode)[keyof typeof BencodeErrorCode];

export class BencodeError extends Error {
  override readonly name = 'BencodeError';
  readonly code: BencodeErrorCode;
  /** Byte offset in the input where decoding failed; -1 for encoder errors. */
  readonly position: number;

  constructor(code: BencodeErrorCode, message: string, position: number) {
    super(position >= 0 ? `${message} at byte ${position}` : message);
    this.code = code;
    this.position = position;
  }
}

/** What the decoder returns: strings stay bytes. */
export type BencodeValue = Buffer | number | BencodeValue[] | BencodeDict;
export interface BencodeDict {
  [key: string]: BencodeValue;
}

/** What the string-converting decoder returns. */
export type BencodeText = string | number | BencodeText[] | BencodeTextDict;
export interface BencodeTextDict {
  [key: string]: BencodeText;
}

/**
 * What the encoder accepts. `undefined` dictionary entries are left out (optional fields);
 * booleans, null, non-integer numbers and anything else are refused.
 */
export type BencodeInput =
  | string
  | Uint8Array
  | number
  | bigint
  | readonly BencodeInput[]
  | { readonly [key: string]: BencodeInput | undefined };

export interface BencodeDecodeOptions {
  /** Deepest nesting of lists and dictionaries (the top level is 1). Default 32. */
  readonly maxDepth?: number;
  /** Longest input in bytes. Default 1 MiB (an ng datagram is at most 64 KiB). */
  readonly maxBytes?: number;
  /** Most values (strings, integers, lists, dictionaries) in one input. Default 100,000. */
  readonly maxValues?: number;
  /** Reject dictionaries whose keys are not in ascending byte order (BEP 3). Default false. */
  readonly sortedKeys?: boolean;
}

export interface BencodeEncodeOptions {
  /** Deepest nesting accepted; also stops a cyclic structure. Default 32. */
  readonly maxDepth?: number;
}

export const BENCODE_DEFAULT_MAX_DEPTH = 32;
export const BENCODE_DEFAULT_MAX_BYTES = 1024 * 1024;
export const BENCODE_DEFAULT_MAX_VALUES = 100_000;

const CH_D = 0x64; // 'd'
const CH_E = 0x65; // 'e'
const CH_I = 0x69; // 'i'
const CH_L = 0x6c; // 'l'
const CH_COLON = 0x3a;
const CH_MINUS = 0x2d;
const CH_0 = 0x30;
const CH_9 = 0x39;
/** 2^53 has 16 digits: a longer run cannot be a safe integer. */
const MAX_INTEGER_DIGITS = 16;
/** A string longer than 9,999,999,999 bytes is over every limit anyway. */
const MAX_LENGTH_DIGITS = 10;

// ---------------------------------------------------------------- encoding

export function encodeBencode(value: BencodeInput, options: BencodeEncodeOptions = {}): Buffer {
  const parts: Buffer[] = [];
  encodeInto(value, parts, 1, options.maxDepth ?? BENCODE_DEFAULT_MAX_DEPTH);
  return Buffer.concat(parts);
}

function encodeInto(value: BencodeInput, parts: Buffer[], depth: number, maxDepth: number): void {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(`${bytes.length}:`, 'latin1'), bytes);
  } else if (value instanceof Uint8Array) {
    parts.push(Buffer.from(`${value.length}:`, 'latin1'), Buffer.from(value.buffer, value.byteOffset, value.length));
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new BencodeError(BencodeErrorCode.unsupportedValue, `bencode integers must be safe integers, got ${value}`, -1);
    }
    parts.push(Buffer.from(`i${value}e`, 'latin1'));
  } else if (typeof value === 'bigint') {
    parts.push(Buffer.from(`i${value}e`, 'latin1'));
  } else if (Array.isArray(value)) {
    if (depth > maxDepth) throw new BencodeError(BencodeErrorCode.tooDeep, `nesting deeper than ${maxDepth}`, -1);
    parts.push(Buffer.from('l', 'latin1'));
    // `Array.isArray` does not narrow a readonly array type out of the union.
    for (const item of value as readonly BencodeInput[]) encodeInto(item, parts, depth + 1, maxDepth);
    parts.push(Buffer.from('e', 'latin1'));
  } else if (typeof value === 'object' && value !== null && isPlainObject(value)) {
    if (depth > maxDepth) throw new BencodeError(BencodeErrorCode.tooDeep, `nesting deeper than ${maxDepth}`, -1);
    const dict = value as { readonly [key: string]: BencodeInput | undefined };
    const entries = Object.keys(dict)
      .filter((key) => dict[key] !== undefined)
      .map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }))
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    parts.push(Buffer.from('d', 'latin1'));
    for (const { key, bytes } of entries) {
      parts.push(Buffer.from(`${bytes.length}:`, 'latin1'), bytes);
      // Filtered above: the entry is defined.
      encodeInto(dict[key] as BencodeInput, parts, depth + 1, maxDepth);
    }
    parts.push(Buffer.from('e', 'latin1'));
  } else {
    const what = value === null ? 'null' : typeof value;
    throw new BencodeError(BencodeErrorCode.unsupportedValue, `bencode cannot encode a ${what}`, -1);
  }
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------- decoding

/** An open list or dictionary on the decoder's stack. */
interface Frame {
  readonly list: BencodeValue[] | undefined;
  readonly dict: BencodeDict | undefined;
  /** Key read, value pending (dictionaries only). */
  key: string | undefined;
  lastKey: Buffer | undefined;
}

export function isBencodeDict(value: BencodeValue): value is BencodeDict {
  return typeof value === 'object' && !Buffer.isBuffer(value) && !Array.isArray(value);
}

/** Decodes one complete value; strings are returned as Buffers (views into a copy of `input`). */
export function decodeBencode(input: Uint8Array, options: BencodeDecodeOptions = {}): BencodeValue {
  return new Decoder(input, options).decode();
}

/** Decodes one complete value, with every string (and key) decoded as UTF-8. */
export function decodeBencodeStrings(input: Uint8Array, options: BencodeDecodeOptions = {}): BencodeText {
  return bencodeToText(decodeBencode(input, options));
}

/**
 * Buffers to UTF-8 strings, throughout. Recursion is bounded by the decoder's depth cap
 * (values from decodeBencode); dictionaries keep a null prototype.
 */
export function bencodeToText(value: BencodeValue): BencodeText {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map(bencodeToText);
  const out: BencodeTextDict = Object.create(null) as BencodeTextDict;
  for (const key of Object.keys(value)) out[key] = bencodeToText(value[key] as BencodeValue);
  return out;
}

class Decoder {
  private readonly buf: Buffer;
  private pos = 0;
  private values = 0;
  private readonly maxDepth: number;
  private readonly maxValues: number;
  private readonly sortedKeys: boolean;

  constructor(input: Uint8Array, options: BencodeDecodeOptions) {
    const maxBytes = options.maxBytes ?? BENCODE_DEFAULT_MAX_BYTES;
    if (input.length > maxBytes) {
      throw new BencodeError(BencodeErrorCode.tooLarge, `input of ${input.length} bytes is over the ${maxBytes}-byte limit`, 0);
    }
    // A copy, so returned Buffers do not alias memory the caller may reuse (a socket's buffer).
    this.buf = Buffer.from(input);
    this.maxDepth = options.maxDepth ?? BENCODE_DEFAULT_MAX_DEPTH;
    this.maxValues = options.maxValues ?? BENCODE_DEFAULT_MAX_VALUES;
    this.sortedKeys = options.sortedKeys ?? false;
  }

  decode(): BencodeValue {
    const stack: Frame[] = [];
    for (;;) {
      const top = stack[stack.length - 1];
      const at = this.pos;
      const byte = this.peek();
      let value: BencodeValue;
      if (byte === CH_E && top !== undefined) {
        if (top.key !== undefined) throw new BencodeError(BencodeErrorCode.unexpectedByte, `dictionary key "${top.key}" has no value`, at);
        this.pos++;
        stack.pop();
        value = (top.list ?? top.dict) as BencodeValue; // one of the two is set, by construction
      } else if (top?.dict !== undefined && top.key === undefined) {
        // A dictionary wants a key: only a string can be one.
        if (byte < CH_0 || byte > CH_9) throw this.unexpected(at, 'a string (dictionary key)');
        const keyBytes = this.readString();
        this.checkKey(top, keyBytes, at);
        top.key = keyBytes.toString('utf8');
        continue;
      } else if (byte === CH_L || byte === CH_D) {
        this.count(at);
        if (stack.length >= this.maxDepth) throw new BencodeError(BencodeErrorCode.tooDeep, `nesting deeper than ${this.maxDepth}`, at);
        this.pos++;
        stack.push(
          byte === CH_L
            ? { list: [], dict: undefined, key: undefined, lastKey: undefined }
            : { list: undefined, dict: Object.create(null) as BencodeDict, key: undefined, lastKey: undefined },
        );
        continue;
      } else if (byte === CH_I) {
        this.count(at);
        value = this.readInteger();
      } else if (byte >= CH_0 && byte <= CH_9) {
        this.count(at);
        value = this.readString();
      } else {
        throw this.unexpected(at, 'a value');
      }
      // A complete value: it goes into the open container, or it is the result.
      const parent = stack[stack.length - 1];
      if (parent === undefined) {
        if (this.pos !== this.buf.length) {
          throw new BencodeError(BencodeErrorCode.trailingData, `${this.buf.length - this.pos} bytes after the value`, this.pos);
        }
        return value;
      }
      if (parent.list !== undefined) parent.list.push(value);
      else if (parent.dict !== undefined && parent.key !== undefined) {
        parent.dict[parent.key] = value;
        parent.key = undefined;
      }
    }
  }

  private peek(): number {
    const byte = this.buf[this.pos];
    if (byte === undefined) throw new BencodeError(BencodeErrorCode.truncated, 'input ends inside a value', this.pos);
    return byte;
  }

  private count(at: number): void {
    if (++this.values > this.maxValues) {
      throw new BencodeError(BencodeErrorCode.tooLarge, `more than ${this.maxValues} values`, at);
    }
  }

  private unexpected(at: number, wanted: string): BencodeError {
    const byte = this.buf[at] ?? 0;
    const shown = byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `0x${byte.toString(16).padStart(2, '0')}`;
    return new BencodeError(BencodeErrorCode.unexpectedByte, `expected ${wanted}, found ${shown}`, at);
  }

  private checkKey(frame: Frame, key: Buffer, at: number): void {
    if (frame.dict !== undefined && Object.prototype.hasOwnProperty.call(frame.dict, key.toString('utf8'))) {
      throw new BencodeError(BencodeErrorCode.badKey, `duplicate dictionary key "${key.toString('utf8')}"`, at);
    }
    if (this.sortedKeys && frame.lastKey !== undefined && Buffer.compare(frame.lastKey, key) >= 0) {
      throw new BencodeError(BencodeErrorCode.badKey, `dictionary key "${key.toString('utf8')}" out of order`, at);
    }
    frame.lastKey = key;
  }

  /** `i<digits>e`, canonical: no leading zeros, no `-0`, at least one digit. */
  private readInteger(): number {
    const start = this.pos;
    this.pos++; // 'i'
    const negative = this.buf[this.pos] === CH_MINUS;
    if (negative) this.pos++;
    const digits = this.readDigits(MAX_INTEGER_DIGITS, start);
    if (this.peek() !== CH_E) throw this.unexpected(this.pos, "a digit or 'e'");
    this.pos++;
    if (digits.length > 1 && digits.startsWith('0')) throw new BencodeError(BencodeErrorCode.badNumber, 'integer with a leading zero', start);
    if (negative && digits === '0') throw new BencodeError(BencodeErrorCode.badNumber, 'integer -0', start);
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) {
      throw new BencodeError(BencodeErrorCode.integerRange, `integer ${negative ? '-' : ''}${digits} is not a safe integer`, start);
    }
    return negative ? -value : value;
  }

  /** `<length>:<bytes>`, the length canonical and within the input. */
  private readString(): Buffer {
    const start = this.pos;
    const digits = this.readDigits(MAX_LENGTH_DIGITS, start);
    if (this.peek() !== CH_COLON) throw this.unexpected(this.pos, "a digit or ':'");
    this.pos++;
    if (digits.length > 1 && digits.startsWith('0')) throw new BencodeError(BencodeErrorCode.badNumber, 'string length with a leading zero', start);
    const length = Number(digits);
    if (length > this.buf.length - this.pos) {
      throw new BencodeError(BencodeErrorCode.truncated, `string of ${length} bytes, only ${this.buf.length - this.pos} left`, start);
    }
    const bytes = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return bytes;
  }

  private readDigits(max: number, start: number): string {
    const first = this.pos;
    while (this.pos < this.buf.length) {
      const byte = this.buf[this.pos] as number; // pos < length
      if (byte < CH_0 || byte > CH_9) break;
      if (this.pos - first >= max) throw new BencodeError(BencodeErrorCode.badNumber, `more than ${max} digits`, start);
      this.pos++;
    }
    if (this.pos === first) {
      if (this.pos >= this.buf.length) throw new BencodeError(BencodeErrorCode.truncated, 'input ends inside a number', this.pos);
      throw this.unexpected(this.pos, 'a digit');
    }
    return this.buf.toString('latin1', first, this.pos);
  }
}
