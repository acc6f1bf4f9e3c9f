/**
 * Source and destination checks as policy steps:
 *
 * - `permissions` (Kamailio permissions, allow_source_address / allow_address_group): classifies
 *   the request source by address group, puts the group and tag in `permissions.group` and
 *   `permissions.tag` for later steps, and goes on or answers as configured for a match and for no
 *   match (the book: unknown sources are refused, group 2 is "from the media servers").
 * - `blocklist` (book §10.2.2, mtree `pblock`): a Request-URI user starting with a blocked prefix
 *   gets `503 Destination Blocked`. Prefixes are walked over `char_list` only, as mtree does, so
 *   `+1234…` does not match a `1234` entry (normalise numbers first, e.g. with dialplan).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTRACT_VERSION, type Reply } from '@sipmesh/contracts';
import { atCheckpoint, runSliced, type SlicedWork } from '../../data/sliced.js';
import { loadRows, RowReader, rowSourceSchema, type Row, type RowSourceSpec } from '../../data/table-rows.js';
import { answer, CONTINUE, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import { outcomeResult, outcomeSchema, replySchema, type OutcomeSpec, type ReplySpec } from '../steps/outcome.js';
import type { StepKind } from '../steps/step-kind.js';
import { AddressGroups, type AddressGroupsLoad } from './address-groups.js';

const FORBIDDEN: ReplySpec = { code: 403, reason: 'Forbidden' };

interface PermissionsSpec {
  source?: RowSourceSpec;
  address_file?: string;
  group?: number;
  on_match?: OutcomeSpec;
  on_no_match?: OutcomeSpec;
}

class PermissionsStep implements PolicyStep {
  readonly kind = 'permissions';
  constructor(
    private readonly groups: AddressGroups,
    private readonly group: number | undefined,
    private readonly onMatch: StepResult,
    private readonly onNoMatch: StepResult,
  ) {}

  run(ctx: RouteContext): StepResult {
    const m = this.groups.groupOf(ctx.params.source.ip, ctx.params.source.port, this.group);
    if (!m) return this.onNoMatch;
    ctx.vars.set('permissions.group', String(m.group));
    if (m.tag !== undefined) ctx.vars.set('permissions.tag', m.tag);
    return this.onMatch;
  }
}

export const permissionsKind: StepKind = {
  key: 'permissions',
  schema: {
    type: 'object',
    additionalProperties: false,
    description: 'Classify the source by permissions address group (Kamailio address table or address file); go on or answer on match / no match',
    properties: {
      source: rowSourceSchema,
      address_file: { type: 'string', description: 'Kamailio address file: "groupid address [netmask] [port] [tag]" lines' },
      group: { type: 'integer', minimum: 0, description: 'Only this group counts (allow_source_address(group)); absent: any group (allow_address_group)' },
      on_match: outcomeSchema('The source is in the address group(s)', 'continue', FORBIDDEN),
      on_no_match: outcomeSchema('The source is in no address group (of the group asked for)', 'continue', FORBIDDEN),
    },
    oneOf: [{ required: ['source'] }, { required: ['address_file'] }],
  },
  async build(raw, ctx) {
    const spec = raw as PermissionsSpec;
    let loaded: AddressGroupsLoad;
    if (spec.address_file !== undefined) {
      const file = path.resolve(ctx.baseDir, spec.address_file);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        return { ok: false, errors: [`${ctx.where}: ${file}: ${(e as Error).message}`] };
      }
      loaded = await runSliced(AddressGroups.buildFile(text));
    } else {
      const rows = await loadRows(spec.source ?? {}, ctx.baseDir, ctx.db);
      if (!rows.ok) return { ok: false, errors: [`${ctx.where}: ${rows.error}`] };
      loaded = await runSliced(AddressGroups.buildRows(rows.rows));
    }
    if (!loaded.ok) return { ok: false, errors: loaded.errors.map((e) => `${ctx.where}: ${e}`) };
    return { ok: true, step: new PermissionsStep(loaded.groups, spec.group, outcomeResult(spec.on_match, 'continue', FORBIDDEN), outcomeResult(spec.on_no_match, 'continue', FORBIDDEN)) };
  },
};

interface BlocklistSpec {
  source: RowSourceSpec;
  char_list?: string;
  reply?: Reply;
}

/** Prefixes over a character set, walked digit by digit (mtree's way). */
export class PrefixSet {
  private readonly root = new Map<string, PrefixNode>();
  constructor(private readonly charList: string) {}

  add(prefix: string, value: string): boolean {
    if (prefix === '' || [...prefix].some((c) => !this.charList.includes(c))) return false;
    let level = this.root;
    let node: PrefixNode | undefined;
    for (const c of prefix) {
      node = level.get(c);
      if (!node) {
        node = { next: new Map(), value: undefined };
        level.set(c, node);
      }
      level = node.next;
    }
    if (node) node.value = value;
    return true;
  }

  /** The value of the longest prefix of `key` in the set. A character outside the set ends the walk. */
  longest(key: string): string | undefined {
    let level = this.root;
    let found: string | undefined;
    for (const c of key) {
      const node = level.get(c);
      if (!node) break;
      if (node.value !== undefined) found = node.value;
      level = node.next;
    }
    return found;
  }
}

interface PrefixNode {
  next: Map<string, PrefixNode>;
  value: string | undefined;
}

class BlocklistStep implements PolicyStep {
  readonly kind = 'blocklist';
  private readonly blocked: StepResult;
  constructor(
    private readonly prefixes: PrefixSet,
    reply: Reply,
  ) {
    this.blocked = answer({ version: CONTRACT_VERSION, reply });
  }

  run(ctx: RouteContext): StepResult {
    const hit = this.prefixes.longest(ctx.ruriUser);
    if (hit === undefined) return CONTINUE;
    ctx.vars.set('blocklist.value', hit);
    return this.blocked;
  }
}

export const blocklistKind: StepKind = {
  key: 'blocklist',
  schema: {
    type: 'object',
    additionalProperties: false,
    description: 'Refuse Request-URI users starting with a blocked prefix (book §10.2.2, mtree table pblock: tprefix, tvalue)',
    properties: {
      source: rowSourceSchema,
      char_list: { type: 'string', minLength: 1, default: '0123456789', description: 'Characters prefixes are made of (mtree char_list)' },
      reply: { ...replySchema, default: { code: 503, reason: 'Destination Blocked' } },
    },
    required: ['source'],
  },
  async build(raw, ctx) {
    const spec = raw as BlocklistSpec;
    const rows = await loadRows(spec.source, ctx.baseDir, ctx.db);
    if (!rows.ok) return { ok: false, errors: [`${ctx.where}: ${rows.error}`] };
    const set = new PrefixSet(spec.char_list ?? '0123456789');
    const errors = await runSliced(addBlocklistRows(set, rows.rows, `${ctx.where}: ${rows.origin}`));
    if (errors.length > 0) return { ok: false, errors };
    return { ok: true, step: new BlocklistStep(set, spec.reply ?? { code: 503, reason: 'Destination Blocked' }) };
  },
};

/** Adds the blocklist rows to `set` as sliced work (a reload builds it between route requests); gives the errors. */
function* addBlocklistRows(set: PrefixSet, rows: readonly Row[], origin: string): SlicedWork<string[]> {
  const errors: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Row;
    if (atCheckpoint(i)) yield;
    try {
      const r = new RowReader(row, `${origin} row ${i + 1}`);
      const prefix = r.str('tprefix').trim();
      if (!set.add(prefix, r.str('tvalue', ''))) errors.push(`${origin} row ${i + 1}: prefix "${prefix}" has characters outside char_list`);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return errors;
}

export const SECURITY_KINDS: readonly StepKind[] = [permissionsKind, blocklistKind];
