import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDoc } from './render-config-reference.js';

describe('docs/configuration.md', () => {
  it('is the reference rendered from the current config schemas (run npm run docs after a change)', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigurationDoc());
  });
});
