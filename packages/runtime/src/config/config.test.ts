import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigErrorCode } from './config-error.js';
import { renderConfigReference } from './config-reference.js';
import type { ConfigSchema } from './config-schema.js';
import { loadConfig } from './load-config.js';

const schema: ConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    sip: {
      type: 'object',
      additionalProperties: false,
      properties: {
        port: { type: 'integer', minimum: 1, maximum: 65535, default: 5060, description: 'SIP listening port' },
        transports: { type: 'array', items: { type: 'string', enum: ['udp', 'tcp', 'tls', 'ws'] }, default: ['udp', 'tcp'], description: 'Enabled transports' },
        t1Ms: { type: 'integer', minimum: 1, default: 500, 'x-unit': 'ms', description: 'RFC 3261 T1 | round-trip estimate' },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: {
        level: { enum: ['debug', 'info', 'warn'], default: 'info', 'x-reloadable': true, description: 'Log level' },
        pretty: { type: 'boolean', default: false },
      },
    },
    routeDeadlineMs: { type: 'number', exclusiveMinimum: 0, default: 2000, 'x-unit': 'ms' },
  },
};

interface EdgeConfig {
  sip: { port: number; transports: string[]; t1Ms: number };
  log: { level: 'debug' | 'info' | 'warn'; pretty: boolean };
  routeDeadlineMs: number;
}

const envMap = { EDGE_SIP_PORT: 'sip.port', EDGE_SIP_TRANSPORTS: 'sip.transports', EDGE_LOG_PRETTY: 'log.pretty', EDGE_ROUTE_DEADLINE_MS: 'routeDeadlineMs' };

const dir = mkdtempSync(join(tmpdir(), 'sipmesh-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults, nested sections included, and freezes the result', () => {
    const config = loadConfig<EdgeConfig>({ schema, env: {} });
    expect(config).toEqual({ sip: { port: 5060, transports: ['udp', 'tcp'], t1Ms: 500 }, log: { level: 'info', pretty: false }, routeDeadlineMs: 2000 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.sip)).toBe(true);
    expect(Object.isFrozen(config.sip.transports)).toBe(true);
  });

  it('layers file < env < overrides and coerces strings to the schema type', () => {
    const yaml = file('edge.yaml', 'sip:\n  port: 5070\n  t1Ms: 250\nlog:\n  level: debug\n');
    const config = loadConfig<EdgeConfig>({
      schema,
      file: yaml,
      env: { EDGE_SIP_PORT: '5080', EDGE_SIP_TRANSPORTS: 'tcp, ws,', EDGE_LOG_PRETTY: 'yes', UNRELATED: 'x' },
      envMap,
      overrides: { 'routeDeadlineMs': '1500.5', 'log.level': 'warn' },
    });
    expect(config).toEqual({ sip: { port: 5080, transports: ['tcp', 'ws'], t1Ms: 250 }, log: { level: 'warn', pretty: true }, routeDeadlineMs: 1500.5 });
    const overridden = loadConfig<EdgeConfig>({ schema, file: yaml, env: { EDGE_SIP_PORT: '5080' }, envMap, overrides: { 'sip.port': 5090 } });
    expect(overridden.sip.port).toBe(5090);
  });

  it('reads JSON files', () => {
    const json = file('edge.json', '{"sip":{"transports":["tls"]}}');
    expect(loadConfig<EdgeConfig>({ schema, file: json, env: {} }).sip.transports).toEqual(['tls']);
  });

  it('lists every problem with its path, reason and source', () => {
    const yaml = file('bad.yaml', 'sip:\n  port: 70000\n  bogus: 1\nlog:\n  level: loud\n');
    const error = configError(() => loadConfig<EdgeConfig>({ schema, file: yaml, env: { EDGE_ROUTE_DEADLINE_MS: '0' }, envMap }));
    expect(error.code).toBe(ConfigErrorCode.invalid);
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'sip.bogus', message: 'is not a known setting', source: `file ${yaml}` },
        { path: 'sip.port', message: 'must be <= 65535', source: `file ${yaml}` },
        { path: 'log.level', message: 'must be one of "debug", "info", "warn"', source: `file ${yaml}` },
        { path: 'routeDeadlineMs', message: 'must be > 0', source: 'env EDGE_ROUTE_DEADLINE_MS' },
      ]),
    );
    expect(error.issues).toHaveLength(4);
    expect(error.message).toContain(`  - sip.port: must be <= 65535 (from file ${yaml})`);
  });

  it('reports values that cannot be coerced before validating', () => {
    const error = configError(() =>
      loadConfig<EdgeConfig>({ schema, env: { EDGE_SIP_PORT: '50x', EDGE_LOG_PRETTY: 'maybe' }, envMap, overrides: { 'sip.nothing': 'x' } }),
    );
    expect(error.issues).toEqual([
      { path: 'sip.port', message: '"50x" is not an integer', source: 'env EDGE_SIP_PORT' },
      { path: 'log.pretty', message: '"maybe" is not a boolean (true/false/1/0/yes/no/on/off)', source: 'env EDGE_LOG_PRETTY' },
      { path: 'sip.nothing', message: 'is not a known setting', source: 'override' },
    ]);
  });

  it('reports a missing required setting', () => {
    const strict: ConfigSchema = { type: 'object', required: ['edgeId'], properties: { edgeId: { type: 'string', minLength: 1 } } };
    const error = configError(() => loadConfig({ schema: strict, env: {} }));
    expect(error.issues).toEqual([{ path: 'edgeId', message: 'is required' }]);
  });

  it('separates unreadable, malformed files and broken schemas', () => {
    expect(configError(() => loadConfig({ schema, file: join(dir, 'missing.yaml'), env: {} })).code).toBe(ConfigErrorCode.fileUnreadable);
    expect(configError(() => loadConfig({ schema, file: file('broken.yaml', 'sip: [\n'), env: {} })).code).toBe(ConfigErrorCode.fileMalformed);
    expect(configError(() => loadConfig({ schema, file: file('list.json', '[1]'), env: {} })).code).toBe(ConfigErrorCode.fileMalformed);
    expect(configError(() => loadConfig({ schema, file: file('edge.toml', 'a=1'), env: {} })).code).toBe(ConfigErrorCode.fileMalformed);
    expect(configError(() => loadConfig({ schema: { type: 'object', properties: { a: { type: 'string', 'x-unknown': 1 } } }, env: {} })).code).toBe(
      ConfigErrorCode.schemaInvalid,
    );
  });
});

describe('renderConfigReference', () => {
  it('documents every setting from the schema', () => {
    expect(renderConfigReference(schema, { envMap, title: 'Edge configuration' })).toBe(
      [
        '# Edge configuration',
        '',
        '| setting | type | default | unit | reloadable | env | description |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| `sip.port` | integer | `5060` |  | no | `EDGE_SIP_PORT` | SIP listening port |',
        '| `sip.transports` | "udp" \\| "tcp" \\| "tls" \\| "ws"[] | `["udp","tcp"]` |  | no | `EDGE_SIP_TRANSPORTS` | Enabled transports |',
        '| `sip.t1Ms` | integer | `500` | ms | no |  | RFC 3261 T1 \\| round-trip estimate |',
        '| `log.level` | "debug" \\| "info" \\| "warn" | `"info"` |  | yes |  | Log level |',
        '| `log.pretty` | boolean | `false` |  | no | `EDGE_LOG_PRETTY` |  |',
        '| `routeDeadlineMs` | number | `2000` | ms | no | `EDGE_ROUTE_DEADLINE_MS` |  |',
        '',
      ].join('\n'),
    );
  });
});
