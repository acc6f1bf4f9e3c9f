// Generates src/generated/types.ts from the JSON Schemas in schemas/v1.
// Run with `npm run generate -w @sipmesh/contracts`; `--check` fails when the committed file is stale.
//
// The schemas reference each other by relative $ref (`common.json#/$defs/party`). The generator
// works best on one document with `definitions`, so the schemas are bundled first: every $defs
// entry becomes a named definition and every $ref is rewritten to point at it. Constraints that only
// express "exactly one of these properties" (oneOf/not over `required`) are dropped for typing;
// the validators keep them.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { compile } from 'json-schema-to-typescript';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dir = path.join(root, 'schemas', 'v1');
const out = path.join(root, 'src', 'generated', 'types.ts');

// file -> type name of its root; $defs get `<Prefix><Def>` unless listed here
const roots = {
  'common.json': null,
  'jsonrpc.json': 'JsonRpcErrorResponse',
  'route-answer.json': 'RouteAnswer',
  'route-request.json': 'RouteRequest',
  'continue.json': 'ContinueMessage',
  'transaction-completed.json': 'TransactionCompletedEvent',
  'options-probe.json': 'OptionsProbeRequest',
  'dispatcher-state.json': 'DispatcherStateEvent',
  'location-lookup.json': 'LocationLookupRequest',
  'auth-check.json': 'AuthCheckRequest',
  'registration.json': 'RegistrationEvent',
  'edge-request.json': 'EdgeRequest',
  'dialog.json': 'DialogEvent',
  'dialog-reset.json': 'DialogResetEvent',
  'media.json': 'MediaRequest',
};
const defNames = {
  'jsonrpc.json#error': 'JsonRpcError',
  'jsonrpc.json#errorResponse': 'JsonRpcErrorResponse',
  'route-answer.json#route': 'Route',
  'route-answer.json#reply': 'Reply',
  'route-answer.json#onFailure': 'OnFailure',
  'route-answer.json#nameAddrChange': 'NameAddrChange',
  'route-answer.json#acc': 'Accounting',
  'route-request.json#routeParams': 'RouteParams',
  'options-probe.json#probeParams': 'OptionsProbeParams',
  'options-probe.json#probeResult': 'OptionsProbeResult',
  'options-probe.json#probeResponse': 'OptionsProbeResponse',
  'location-lookup.json#lookupParams': 'LocationLookupParams',
  'location-lookup.json#contact': 'LocationContact',
  'location-lookup.json#lookupResult': 'LocationLookupResult',
  'location-lookup.json#lookupResponse': 'LocationLookupResponse',
  'auth-check.json#authParams': 'AuthCheckParams',
  'auth-check.json#authResult': 'AuthCheckResult',
  'auth-check.json#authResponse': 'AuthCheckResponse',
  'edge-request.json#requestParams': 'EdgeRequestParams',
  'edge-request.json#requestResult': 'EdgeRequestResult',
  'edge-request.json#requestResponse': 'EdgeRequestResponse',
  'media.json#flags': 'MediaFlags',
  'media.json#mediaParams': 'MediaParams',
  'media.json#mediaResult': 'MediaResult',
  'media.json#mediaResponse': 'MediaResponse',
};
const pascal = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const defName = (file, def) => defNames[`${file}#${def}`] ?? pascal(def);

const schemas = {};
for (const file of Object.keys(roots)) schemas[file] = JSON.parse(await readFile(path.join(dir, file), 'utf8'));

function rewrite(node, file) {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, file));
  if (node === null || typeof node !== 'object') return node;
  const outNode = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$id' || k === '$schema' || k === '$defs') continue;
    if ((k === 'oneOf' || k === 'not') && onlyRequired(v)) continue;
    if (k === '$ref') {
      const [target, pointer = ''] = v.split('#');
      const f = target === '' ? file : target;
      const m = /^\/\$defs\/(\w+)$/.exec(pointer);
      outNode.$ref = m ? `#/definitions/${defName(f, m[1])}` : `#/definitions/${roots[f]}`;
      continue;
    }
    outNode[k] = rewrite(v, file);
  }
  return outNode;
}
function onlyRequired(v) {
  const list = Array.isArray(v) ? v : [v];
  return list.every((s) => s && typeof s === 'object' && Object.keys(s).every((k) => k === 'required' || k === 'not' || (k === 'properties' && Object.values(s.properties).every((p) => Object.keys(p).every((x) => x === 'minItems')))));
}

const definitions = {};
for (const [file, schema] of Object.entries(schemas)) {
  for (const [def, body] of Object.entries(schema.$defs ?? {})) {
    const name = defName(file, def);
    definitions[name] = { ...rewrite(body, file), title: name };
  }
  const rootName = roots[file];
  if (rootName && !definitions[rootName]) definitions[rootName] = { ...rewrite(schema, file), title: rootName };
}
const bundle = {
  title: 'SipmeshContractsV1',
  type: 'object',
  properties: Object.fromEntries(Object.values(roots).filter(Boolean).map((n) => [n, { $ref: `#/definitions/${n}` }])),
  definitions,
};
let text = await compile(bundle, 'SipmeshContractsV1', {
  bannerComment: '/* Generated from contracts/schemas/v1 by contracts/scripts/generate-types.mjs. Do not edit. */\n/* eslint-disable */',
  additionalProperties: false,
  unreachableDefinitions: true,
  strictIndexSignatures: true,
  style: { singleQuote: true },
});
text = text.replace(/export interface SipmeshContractsV1 \{[\s\S]*?\n\}\n/, '');

if (process.argv.includes('--check')) {
  const current = await readFile(out, 'utf8').catch(() => '');
  if (current !== text) {
    console.error('contracts/src/generated/types.ts is stale: run npm run generate -w @sipmesh/contracts');
    process.exit(1);
  }
} else {
  await writeFile(out, text);
}
