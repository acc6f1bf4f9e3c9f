import { describe, expect, test } from 'vitest';
import { BencodeError, BencodeErrorCode, decodeBencode, decodeBencodeStrings, encodeBencode, type BencodeInput } from './bencode.js';

const text = (input: BencodeInput): string => encodeBencode(input).toString('latin1');
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

function decodeError(input: string | Buffer, options?: Parameters<typeof decodeBencode>[1]): BencodeError {
  try {
    decodeBencode(typeof input === 'string' ? bytes(input) : input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(BencodeError);
    return error as BencodeError;
  }
  throw new Error(`decoded without an error: ${String(input)}`);
}

describe('encodeBencode', () => {
  test('the four types, as BEP 3 writes them', () => {
    expect(text('spam')).toBe('4:spam');
    expect(text('')).toBe('0:');
    expect(text(3)).toBe('i3e');
    expect(text(-3)).toBe('i-3e');
    expect(text(0)).toBe('i0e');
    expect(text(2n ** 64n)).toBe('i18446744073709551616e');
    expect(text(['spam', 'eggs'])).toBe('l4:spam4:eggse');
    expect(text({ cow: 'moo', spam: 'eggs' })).toBe('d3:cow3:moo4:spam4:eggse');
    expect(text({ spam: ['a', 'b'] })).toBe('d4:spaml1:a1:bee');
    expect(text([])).toBe('le');
    expect(text({})).toBe('de');
  });

  test('string lengths are bytes, not characters', () => {
    expect(encodeBencode('é€').equals(Buffer.concat([bytes('5:'), Buffer.from('é€', 'utf8')]))).toBe(true);
  });

  test('Buffers and Uint8Arrays are written as they are', () => {
    expect(text(Buffer.from([0, 255, 32]))).toBe('3:\u0000\u00ff ');
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    expect(encodeBencode(view).equals(Buffer.from([0x33, 0x3a, 1, 2, 3]))).toBe(true);
  });

  test('dictionary keys are sorted by their bytes, undefined entries left out', () => {
    expect(text({ 'to-tag': 'b', 'call-id': 'c', command: 'x', 'from-tag': 'a', sdp: undefined, ICE: 'remove' })).toBe(
      'd3:ICE6:remove7:call-id1:c7:command1:x8:from-tag1:a6:to-tag1:be',
    );
    // Byte order, not locale order: 'Z' (0x5a) before 'a', and UTF-8 bytes after ASCII.
    expect(text({ a: 1, Z: 2, é: 3 })).toBe(`d1:Zi2e1:ai1e2:${Buffer.from('é').toString('latin1')}i3ee`);
  });

  test('values bencode cannot represent are refused', () => {
    for (const value of [1.5, NaN, Infinity, 2 ** 53, true, null, undefined, () => 1, new Date(0), new Map()]) {
      expect(() => encodeBencode(value as unknown as BencodeInput)).toThrow(BencodeError);
    }
    expect(() => encodeBencode({ a: [null] } as unknown as BencodeInput)).toThrow(/cannot encode a null/);
  });

  test('a cycle or too deep a structure stops at maxDepth', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => encodeBencode(cyclic as BencodeInput)).toThrow(expect.objectContaining({ code: BencodeErrorCode.tooDeep }));
    let deep: BencodeInput = 'x';
    for (let i = 0; i < 5; i++) deep = [deep];
    expect(text(deep)).toBe('lllll1:xeeeee');
    expect(() => encodeBencode(deep, { maxDepth: 4 })).toThrow(BencodeError);
  });
});

describe('decodeBencode', () => {
  test('round trip, strings as Buffers', () => {
    const value = decodeBencode(bytes('d4:listli1ei-22e3:abce4:dictd1:k1:ve5:empty0:e'));
    expect(value).toEqual({ list: [1, -22, Buffer.from('abc')], dict: { k: Buffer.from('v') }, empty: Buffer.alloc(0) });
  });

  test('binary strings keep their bytes', () => {
    const value = decodeBencode(Buffer.concat([bytes('3:'), Buffer.from([0, 0xff, 0x80])]));
    expect(value).toEqual(Buffer.from([0, 0xff, 0x80]));
  });

  test('the string variant decodes UTF-8, keys and values', () => {
    const input = encodeBencode({ sdp: 'v=0\r\n', 'é': ['ü', 7] });
    expect(decodeBencodeStrings(input)).toEqual({ sdp: 'v=0\r\n', 'é': ['ü', 7] });
  });

  test('returned Buffers do not alias the input', () => {
    const input = bytes('3:abc');
    const value = decodeBencode(input) as Buffer;
    input.fill(0);
    expect(value.toString()).toBe('abc');
  });

  test('keys in any order are accepted (rtpengine writes insertion order); sortedKeys enforces BEP 3', () => {
    expect(decodeBencodeStrings(bytes('d3:sdp1:x6:result2:oke'))).toEqual({ sdp: 'x', result: 'ok' });
    expect(decodeError('d3:sdp1:x6:result2:oke', { sortedKeys: true })).toMatchObject({ code: BencodeErrorCode.badKey, position: 9 });
  });

  test('__proto__ is an ordinary key and pollutes nothing', () => {
    const value = decodeBencodeStrings(bytes('d9:__proto__d1:xi1eee')) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(null);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  test('the safe integer range is the limit', () => {
    expect(decodeBencode(bytes('i9007199254740991e'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeBencode(bytes('i-9007199254740991e'))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(decodeError('i9007199254740992e')).toMatchObject({ code: BencodeErrorCode.integerRange, position: 0 });
  });

  // Each malformed input: the error code and the byte offset where it was noticed.
  const malformed: [string, string, BencodeErrorCode, number][] = [
    ['empty input', '', BencodeErrorCode.truncated, 0],
    ['an unknown type byte', 'x', BencodeErrorCode.unexpectedByte, 0],
    ['an end with nothing open', 'e', BencodeErrorCode.unexpectedByte, 0],
    ['integer without digits', 'ie', BencodeErrorCode.unexpectedByte, 1],
    ['integer with only a minus', 'i-e', BencodeErrorCode.unexpectedByte, 2],
    ['integer not terminated', 'i12', BencodeErrorCode.truncated, 3],
    ['integer with a leading zero', 'i03e', BencodeErrorCode.badNumber, 0],
    ['integer -0', 'i-0e', BencodeErrorCode.badNumber, 0],
    ['integer with a space', 'i1 2e', BencodeErrorCode.unexpectedByte, 2],
    ['integer with too many digits', `i${'1'.repeat(40)}e`, BencodeErrorCode.badNumber, 0],
    ['string length with a leading zero', '03:abc', BencodeErrorCode.badNumber, 0],
    ['string longer than the input', '10:abc', BencodeErrorCode.truncated, 0],
    ['string length without its colon', '3abc', BencodeErrorCode.unexpectedByte, 1],
    ['negative string length', '-1:a', BencodeErrorCode.unexpectedByte, 0],
    ['absurd string length', `${'9'.repeat(30)}:a`, BencodeErrorCode.badNumber, 0],
    ['list not closed', 'l1:a', BencodeErrorCode.truncated, 4],
    ['dictionary not closed', 'd1:a1:b', BencodeErrorCode.truncated, 7],
    ['integer as a dictionary key', 'di1e1:ae', BencodeErrorCode.unexpectedByte, 1],
    ['list as a dictionary key', 'dle1:ae', BencodeErrorCode.unexpectedByte, 1],
    ['key without a value', 'd1:ae', BencodeErrorCode.unexpectedByte, 4],
    ['duplicate key', 'd1:ai1e1:ai2ee', BencodeErrorCode.badKey, 7],
    ['trailing data', 'i1ei2e', BencodeErrorCode.trailingData, 3],
    ['a second top-level value after a dictionary', 'dede', BencodeErrorCode.trailingData, 2],
  ];
  test.each(malformed)('%s: %j -> %s at %i', (_what, input, code, position) => {
    const error = decodeError(input);
    expect(error.code).toBe(code);
    expect(error.position).toBe(position);
    expect(error.message).toContain(`at byte ${position}`);
  });

  test('hostile nesting fails fast at maxDepth, without recursion', () => {
    const deep = 'l'.repeat(1_000_000);
    const started = performance.now();
    expect(decodeError(deep)).toMatchObject({ code: BencodeErrorCode.tooDeep, position: 32 });
    expect(decodeError(`${'l'.repeat(10)}${'e'.repeat(10)}`, { maxDepth: 9 })).toMatchObject({ code: BencodeErrorCode.tooDeep, position: 9 });
    expect(decodeBencode(bytes(`${'l'.repeat(10)}${'e'.repeat(10)}`), { maxDepth: 10 })).toBeDefined();
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test('size and value-count limits', () => {
    expect(decodeError(Buffer.alloc(2_000_000, 0x65))).toMatchObject({ code: BencodeErrorCode.tooLarge, position: 0 });
    expect(decodeError('3:abc', { maxBytes: 4 })).toMatchObject({ code: BencodeErrorCode.tooLarge });
    // A million one-byte-ish values in a small input: stopped by the value count, not by memory.
    const many = `l${'i0e'.repeat(200_000)}e`;
    expect(decodeError(many)).toMatchObject({ code: BencodeErrorCode.tooLarge, position: 1 + 3 * 99_999 });
    expect(decodeError('li1ei2ei3ee', { maxValues: 3 })).toMatchObject({ code: BencodeErrorCode.tooLarge, position: 7 });
  });

  test('random bytes never hang and only ever throw BencodeError', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = bytes('ilde0123456789:-x ');
    for (let n = 0; n < 5_000; n++) {
      const input = Buffer.alloc(1 + Math.floor(random() * 40));
      for (let i = 0; i < input.length; i++) input[i] = alphabet[Math.floor(random() * alphabet.length)] as number;
      try {
        decodeBencode(input);
      } catch (error) {
        expect(error).toBeInstanceOf(BencodeError);
      }
    }
  });
});
