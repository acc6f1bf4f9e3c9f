/**
 * Environment variables are strings; the schema says what they mean. Numbers must parse
 * completely, booleans accept true/false/1/0/yes/no/on/off, arrays are comma-separated
 * (items coerced in turn), objects are JSON.
 */
import { schemaTypes, type ConfigSchema } from './config-schema.js';

export type Coerced = { ok: true; value: unknown } | { ok: false; reason: string };

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

export function coerceFromString(raw: string, schema: ConfigSchema): Coerced {
  const types = schemaTypes(schema);
  if (types.length === 0 || types.includes('string')) return { ok: true, value: raw };
  const text = raw.trim();
  if (types.includes('integer') || types.includes('number')) {
    const n = text === '' ? Number.NaN : Number(text);
    if (Number.isFinite(n) && (types.includes('number') || Number.isInteger(n))) return { ok: true, value: n };
    if (!types.includes('boolean') && !types.includes('array') && !types.includes('object')) {
      return { ok: false, reason: `"${raw}" is not ${types.includes('number') ? 'a number' : 'an integer'}` };
    }
  }
  if (types.includes('boolean')) {
    const word = text.toLowerCase();
    if (TRUE_WORDS.has(word)) return { ok: true, value: true };
    if (FALSE_WORDS.has(word)) return { ok: true, value: false };
    if (!types.includes('array') && !types.includes('object')) return { ok: false, reason: `"${raw}" is not a boolean (true/false/1/0/yes/no/on/off)` };
  }
  if (types.includes('array')) {
    const items = text === '' ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const itemSchema = schema.items ?? {};
    const values: unknown[] = [];
    for (const item of items) {
      const coerced = coerceFromString(item, itemSchema);
      if (!coerced.ok) return { ok: false, reason: `item ${coerced.reason}` };
      values.push(coerced.value);
    }
    return { ok: true, value: values };
  }
  if (types.includes('object')) {
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, reason: 'is not valid JSON' };
    }
  }
  if (types.includes('null') && text === 'null') return { ok: true, value: null };
  return { ok: false, reason: `cannot be read as ${types.join(' or ')}` };
}
