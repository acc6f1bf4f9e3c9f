/**
 * The subset of JSON Schema (draft 2020-12) the config tools read themselves: nesting through
 * `properties`, `type`, `items`, `default`, `enum`, `description`, plus two annotations of
 * ours: `x-unit` (e.g. "ms", "bytes") and `x-reloadable` (applied without a restart).
 * Everything else is passed to ajv untouched.
 */

export type JsonSchemaType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'null';

export interface ConfigSchema {
  $schema?: string;
  $id?: string;
  type?: JsonSchemaType | JsonSchemaType[];
  description?: string;
  default?: unknown;
  enum?: readonly unknown[];
  properties?: Record<string, ConfigSchema>;
  required?: readonly string[];
  items?: ConfigSchema;
  additionalProperties?: boolean | ConfigSchema;
  'x-unit'?: string;
  'x-reloadable'?: boolean;
  [keyword: string]: unknown;
}

/** The schema of the setting at dotted `path`, following `properties`; undefined if none. */
export function schemaAtPath(schema: ConfigSchema, path: string): ConfigSchema | undefined {
  let node: ConfigSchema | undefined = schema;
  for (const key of path.split('.')) {
    node = node?.properties?.[key];
    if (node === undefined) return undefined;
  }
  return node;
}

export function schemaTypes(schema: ConfigSchema): JsonSchemaType[] {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}
