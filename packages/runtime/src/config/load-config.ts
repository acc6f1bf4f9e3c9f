/**
 * Service configuration: one JSON Schema with defaults, filled from (lowest first) schema
 * defaults, a JSON or YAML file, environment variables named in one map, and command-line
 * overrides; validated once, frozen. Start-up only (it reads the file synchronously).
 *
 * Every problem is reported at once, each with its setting path and where the value came
 * from, so an operator fixes a deployment in one pass.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { ConfigError, ConfigErrorCode, type ConfigIssue } from './config-error.js';
import { schemaAtPath, schemaTypes, type ConfigSchema } from './config-schema.js';
import { deepFreeze, type DeepReadonly } from './deep-freeze.js';
import { coerceFromString } from './env-coercion.js';

export interface LoadConfigOptions {
  schema: ConfigSchema;
  /** A `.json`, `.yaml` or `.yml` file whose root is an object. */
  file?: string;
  /** Usually `process.env`, passed in by main.ts. */
  env: Readonly<Record<string, string | undefined>>;
  /** Environment variable name -> dotted setting path, e.g. `{ EDGE_SIP_PORT: 'sip.port' }`. */
  envMap?: Readonly<Record<string, string>>;
  /** Dotted setting path -> value (from the command line); strings are coerced like env values. */
  overrides?: Readonly<Record<string, unknown>>;
}

type Doc = Record<string, unknown>;

/** Throws `ConfigError` listing every problem found. */
export function loadConfig<T>(options: LoadConfigOptions): DeepReadonly<T> {
  const { schema } = options;
  const sources = new Map<string, string>();
  const issues: ConfigIssue[] = [];

  const config: Doc = options.file === undefined ? {} : readConfigFile(options.file);
  if (options.file !== undefined) recordSources(config, '', `file ${options.file}`, sources);

  for (const [name, path] of Object.entries(options.envMap ?? {})) {
    const raw = options.env[name];
    if (raw === undefined) continue;
    applyString(config, schema, path, raw, `env ${name}`, sources, issues);
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (typeof value === 'string') applyString(config, schema, path, value, 'override', sources, issues);
    else if (schemaAtPath(schema, path) === undefined) issues.push({ path, message: 'is not a known setting', source: 'override' });
    else setPath(config, path, value, 'override', sources);
  }
  if (issues.length > 0) throw new ConfigError(ConfigErrorCode.invalid, issues, 'invalid configuration');

  materializeObjects(schema, config);
  const validate = compile(schema);
  if (!validate(config)) {
    const errors = validate.errors ?? [];
    throw new ConfigError(ConfigErrorCode.invalid, errors.map((e) => toIssue(e, sources)), 'invalid configuration');
  }
  // Validated against `schema` just above; T is the caller's type for that schema.
  return deepFreeze(config as T);
}

function readConfigFile(file: string): Doc {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(ConfigErrorCode.fileUnreadable, [{ path: '', message: (error as Error).message, source: `file ${file}` }], 'cannot read configuration file');
  }
  const extension = extname(file).toLowerCase();
  let doc: unknown;
  try {
    if (extension === '.json') doc = JSON.parse(text);
    else if (extension === '.yaml' || extension === '.yml') doc = parseYaml(text);
    else throw new Error(`unsupported file type "${extension}" (use .json, .yaml or .yml)`);
  } catch (error) {
    throw new ConfigError(ConfigErrorCode.fileMalformed, [{ path: '', message: (error as Error).message, source: `file ${file}` }], 'malformed configuration file');
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(ConfigErrorCode.fileMalformed, [{ path: '', message: 'the document must be an object', source: `file ${file}` }], 'malformed configuration file');
  }
  return doc as Doc;
}

function applyString(config: Doc, schema: ConfigSchema, path: string, raw: string, source: string, sources: Map<string, string>, issues: ConfigIssue[]): void {
  const target = schemaAtPath(schema, path);
  if (target === undefined) {
    issues.push({ path, message: 'is not a known setting', source });
    return;
  }
  const coerced = coerceFromString(raw, target);
  if (!coerced.ok) issues.push({ path, message: coerced.reason, source });
  else setPath(config, path, coerced.value, source, sources);
}

function setPath(config: Doc, path: string, value: unknown, source: string, sources: Map<string, string>): void {
  const keys = path.split('.');
  let node = config;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i] as string;
    const next = node[key];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) node = next as Doc;
    else node = node[key] = {};
  }
  node[keys[keys.length - 1] as string] = value;
  sources.set(path, source);
}

function recordSources(value: unknown, prefix: string, source: string, sources: Map<string, string>): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    if (prefix !== '') sources.set(prefix, source);
    return;
  }
  for (const [key, child] of Object.entries(value)) recordSources(child, prefix === '' ? key : `${prefix}.${key}`, source, sources);
}

/**
 * ajv fills defaults only inside objects that exist, so absent sections are created empty
 * when that is harmless: the section declares properties and requires none of them.
 */
function materializeObjects(schema: ConfigSchema, value: Doc): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const isSection = schemaTypes(child).includes('object') && child.properties !== undefined;
    if (!isSection) continue;
    if (value[key] === undefined && (child.required === undefined || child.required.length === 0)) value[key] = {};
    const next = value[key];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) materializeObjects(child, next as Doc);
  }
}

function compile(schema: ConfigSchema): ReturnType<Ajv2020['compile']> {
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true });
  ajv.addKeyword({ keyword: 'x-unit', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-reloadable', schemaType: 'boolean' });
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new ConfigError(ConfigErrorCode.schemaInvalid, [{ path: '', message: (error as Error).message }], 'invalid configuration schema');
  }
}

function toIssue(error: ErrorObject, sources: ReadonlyMap<string, string>): ConfigIssue {
  const base = pointerToPath(error.instancePath);
  let path = base;
  let message = error.message ?? 'is invalid';
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    path = join(base, String(params['missingProperty']));
    message = 'is required';
  } else if (error.keyword === 'additionalProperties') {
    path = join(base, String(params['additionalProperty']));
    message = 'is not a known setting';
  } else if (error.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
    message = `must be one of ${params['allowedValues'].map((v) => JSON.stringify(v)).join(', ')}`;
  }
  const source = sourceOf(path, sources);
  return source === undefined ? { path, message } : { path, message, source };
}

function sourceOf(path: string, sources: ReadonlyMap<string, string>): string | undefined {
  for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const source = sources.get(p);
    if (source !== undefined) return source;
  }
  return undefined;
}

function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

function join(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}
