/**
 * Renders the configuration reference of a service from its schema, so the documentation is
 * generated from the same source the loader validates against and cannot drift from it.
 * One row per setting (leaf of `properties`): path, type, default, unit, reloadable,
 * environment variable, description.
 */
import { schemaTypes, type ConfigSchema } from './config-schema.js';

export interface ConfigReferenceOptions {
  /** The same map given to `loadConfig`: environment variable name -> dotted path. */
  envMap?: Readonly<Record<string, string>>;
  /** Heading text; no heading when absent. */
  title?: string;
}

export interface ConfigSetting {
  path: string;
  type: string;
  default: unknown;
  unit: string | undefined;
  reloadable: boolean;
  env: string | undefined;
  description: string;
}

/** The documented settings of `schema`, depth first in declaration order. */
export function listConfigSettings(schema: ConfigSchema, envMap: Readonly<Record<string, string>> = {}): ConfigSetting[] {
  const envByPath = new Map(Object.entries(envMap).map(([name, path]) => [path, name]));
  const out: ConfigSetting[] = [];
  walk(schema, '', envByPath, out);
  return out;
}

export function renderConfigReference(schema: ConfigSchema, options: ConfigReferenceOptions = {}): string {
  const rows = listConfigSettings(schema, options.envMap).map((s) =>
    [
      code(s.path),
      s.type,
      s.default === undefined ? '' : code(JSON.stringify(s.default)),
      s.unit ?? '',
      s.reloadable ? 'yes' : 'no',
      s.env === undefined ? '' : code(s.env),
      s.description,
    ].map(cell),
  );
  const lines = [
    '| setting | type | default | unit | reloadable | env | description |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  const heading = options.title === undefined ? [] : [`# ${options.title}`, ''];
  return `${[...heading, ...lines].join('\n')}\n`;
}

function walk(schema: ConfigSchema, prefix: string, envByPath: ReadonlyMap<string, string>, out: ConfigSetting[]): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (child.properties !== undefined) {
      walk(child, path, envByPath, out);
      continue;
    }
    out.push({
      path,
      type: typeName(child),
      default: child.default,
      unit: child['x-unit'],
      reloadable: child['x-reloadable'] === true,
      env: envByPath.get(path),
      description: child.description ?? '',
    });
  }
}

function typeName(schema: ConfigSchema): string {
  if (schema.enum !== undefined) return schema.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  const types = schemaTypes(schema);
  if (types.length === 0) return 'any';
  return types.map((t) => (t === 'array' ? `${schema.items === undefined ? 'any' : typeName(schema.items)}[]` : t)).join(' \\| ');
}

function code(text: string): string {
  return `\`${text}\``;
}

/** Table cells cannot hold raw pipes or line breaks. */
function cell(text: string): string {
  return text.replace(/(?<!\\)\|/g, '\\|').replace(/\r?\n/g, ' ');
}
