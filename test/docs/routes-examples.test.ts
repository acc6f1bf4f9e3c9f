/**
 * The routes-file examples in the README, docs/routing.md and config/routes.yaml load as they are
 * written (a dispatcher list stands in for the `list:` file they point at).
 */
import { readFileSync } from 'node:fs';
import { createValidators } from '@sipmesh/contracts';
import { compileRoutes } from '@sipmesh/router';
import { MemoryCallProfiles } from '@sipmesh/runtime';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const root = new URL('../../', import.meta.url);
const STAND_IN_LIST = '1 sip:10.0.0.10:5060 0 0 duid=a;weight=50\n1 sip:10.0.0.11:5060 0 0 duid=b;weight=50\n2 sip:10.0.0.12:5060 0 0 duid=c;maxload=20\n2 sip:10.0.0.13:5060 0 0 duid=d\n';

function yamlBlocks(file: string): string[] {
  const text = readFileSync(new URL(file, root), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').filter((b) => b.includes('policies:'));
}

describe('routes-file examples in the docs', () => {
  const cases = [...yamlBlocks('README.md').map((b, i) => [`README.md #${i + 1}`, b]), ...yamlBlocks('docs/routing.md').map((b, i) => [`docs/routing.md #${i + 1}`, b]), ['config/routes.yaml', readFileSync(new URL('config/routes.yaml', root), 'utf8')]];

  it('has examples to check', () => {
    expect(cases.length).toBeGreaterThanOrEqual(3);
  });

  it.each(cases)('%s loads', async (_name, block) => {
    const doc = parseYaml(block ?? '') as { dispatcher?: { list?: string; inline?: string } };
    if (doc.dispatcher?.list !== undefined) doc.dispatcher = { inline: STAND_IN_LIST };
    // rules with a call `limit` count in the router's call store
    const r = await compileRoutes(doc, '.', createValidators(), { calls: { profiles: new MemoryCallProfiles(), ttlMs: 43_200_000 } });
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
});
