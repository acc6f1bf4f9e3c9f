/**
 * What cr_route throws its dice with (Kamailio's hash_source): CRC-32 of the Call-ID's first token,
 * of the From or To URI, or of their user parts, modulo the dice size; or a random number. A hash
 * keeps a call on one host (the same Call-ID always gets the same one), so the book's "50/50 split"
 * is a spread over many calls, not an alternation.
 *
 * The CRC-32 is Kamailio's (the common IEEE one: zlib's), so an ASCII key lands on the same face of
 * the dice as in Kamailio. Bytes above 0x7f differ: Kamailio indexes its table with a signed char
 * there.
 */
import { crc32 } from 'node:zlib';
import type { RouteParams } from '@sipmesh/contracts';
import { randomIndex, type RandomSource } from '../dispatcher/random-source.js';

export const CR_HASH_SOURCES = ['call_id', 'from_uri', 'from_user', 'to_uri', 'to_user', 'rand'] as const;
export type CrHashSource = (typeof CR_HASH_SOURCES)[number];

export type HashFacts = Pick<RouteParams, 'call_id' | 'from' | 'to'>;

/** The string hashed for a request; undefined for `rand`, which throws the dice with the random source. */
export function hashKeyOf(source: CrHashSource, facts: HashFacts): string | undefined {
  switch (source) {
    case 'call_id':
      return firstToken(facts.call_id);
    case 'from_uri':
      return facts.from.uri;
    case 'from_user':
      return facts.from.user ?? '';
    case 'to_uri':
      return facts.to.uri;
    case 'to_user':
      return facts.to.user ?? '';
    case 'rand':
      return undefined;
  }
}

/** A face of a dice of `faces` faces (faces > 0): from the key's CRC-32, or at random. */
export function throwDice(key: string | undefined, faces: number, random: RandomSource): number {
  return key === undefined ? randomIndex(random, faces) : crc32(key) % faces;
}

/** Kamailio hashes the Call-ID up to its first white space, leading white space skipped. */
function firstToken(callId: string): string {
  let start = 0;
  while (start < callId.length && isSpace(callId.charCodeAt(start))) start++;
  let end = start;
  while (end < callId.length && !isSpace(callId.charCodeAt(end))) end++;
  return callId.slice(start, end);
}

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}
