/**
 * ajv validators compiled from the JSON Schemas in `contracts/schemas/v1`. The schemas are read
 * once when `createValidators()` is called (at service start-up), never at import time.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { CONTRACT_MAJOR } from './subjects.js';
import type {
  ContinueMessage,
  DispatcherStateEvent,
  OptionsProbeRequest,
  OptionsProbeResponse,
  EdgeRequest,
  EdgeRequestResponse,
  JsonRpcErrorResponse,
  RouteAnswer,
  RouteRequest,
  TransactionCompletedEvent,
  LocationLookupRequest,
  LocationLookupResponse,
  AuthCheckRequest,
  AuthCheckResponse,
  RegistrationEvent,
  DialogEvent,
  DialogResetEvent,
  MediaRequest,
  MediaResponse,
} from './generated/types.js';

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };
export type Validator<T> = (data: unknown) => Validation<T>;

export interface ContractValidators {
  routeRequest: Validator<RouteRequest>;
  routeAnswer: Validator<RouteAnswer>;
  continueMessage: Validator<ContinueMessage>;
  jsonRpcErrorResponse: Validator<JsonRpcErrorResponse>;
  transactionCompleted: Validator<TransactionCompletedEvent>;
  optionsProbe: Validator<OptionsProbeRequest>;
  optionsProbeResponse: Validator<OptionsProbeResponse>;
  edgeRequest: Validator<EdgeRequest>;
  edgeRequestResponse: Validator<EdgeRequestResponse>;
  dispatcherState: Validator<DispatcherStateEvent>;
  locationLookup: Validator<LocationLookupRequest>;
  locationLookupResponse: Validator<LocationLookupResponse>;
  authCheck: Validator<AuthCheckRequest>;
  authCheckResponse: Validator<AuthCheckResponse>;
  registration: Validator<RegistrationEvent>;
  dialog: Validator<DialogEvent>;
  dialogReset: Validator<DialogResetEvent>;
  media: Validator<MediaRequest>;
  mediaResponse: Validator<MediaResponse>;
}

const SCHEMA_FILES = ['common.json', 'jsonrpc.json', 'route-answer.json', 'route-request.json', 'continue.json', 'transaction-completed.json', 'options-probe.json', 'dispatcher-state.json', 'location-lookup.json', 'auth-check.json', 'registration.json', 'edge-request.json', 'dialog.json', 'dialog-reset.json', 'media.json'] as const;
const ID_BASE = 'https://schemas.sipmesh.org/v1/';

/** Directory of the v1 schemas, found relative to this module in both src/ and dist/. */
export function schemaDirectory(): URL {
  return new URL('../schemas/v1/', import.meta.url);
}

/** The raw schemas by file name, e.g. for a policy author's conformance tool. */
export function loadSchemas(): Record<(typeof SCHEMA_FILES)[number], object> {
  const dir = schemaDirectory();
  const out = {} as Record<(typeof SCHEMA_FILES)[number], object>;
  for (const f of SCHEMA_FILES) out[f] = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as object;
  return out;
}

export function createValidators(): ContractValidators {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // ajv-formats is CommonJS; under NodeNext its default export is the namespace object.
  const addFormats = (addFormatsModule as unknown as { default: (a: Ajv2020) => void }).default ?? (addFormatsModule as unknown as (a: Ajv2020) => void);
  addFormats(ajv);
  for (const schema of Object.values(loadSchemas())) ajv.addSchema(schema);
  const make = <T>(file: string): Validator<T> => {
    const fn = ajv.getSchema(ID_BASE + file) as ValidateFunction<T> | undefined;
    if (!fn) throw new Error(`contracts: schema ${file} not found`);
    return (data) => (fn(data) ? { ok: true, value: data as T } : { ok: false, errors: formatErrors(fn.errors) });
  };
  return {
    routeRequest: make<RouteRequest>('route-request.json'),
    routeAnswer: make<RouteAnswer>('route-answer.json'),
    continueMessage: make<ContinueMessage>('continue.json'),
    jsonRpcErrorResponse: make<JsonRpcErrorResponse>('jsonrpc.json'),
    transactionCompleted: make<TransactionCompletedEvent>('transaction-completed.json'),
    optionsProbe: make<OptionsProbeRequest>('options-probe.json'),
    optionsProbeResponse: make<OptionsProbeResponse>('options-probe.json#/$defs/probeResponse'),
    edgeRequest: make<EdgeRequest>('edge-request.json'),
    edgeRequestResponse: make<EdgeRequestResponse>('edge-request.json#/$defs/requestResponse'),
    dispatcherState: make<DispatcherStateEvent>('dispatcher-state.json'),
    locationLookup: make<LocationLookupRequest>('location-lookup.json'),
    locationLookupResponse: make<LocationLookupResponse>('location-lookup.json#/$defs/lookupResponse'),
    authCheck: make<AuthCheckRequest>('auth-check.json'),
    authCheckResponse: make<AuthCheckResponse>('auth-check.json#/$defs/authResponse'),
    registration: make<RegistrationEvent>('registration.json'),
    dialog: make<DialogEvent>('dialog.json'),
    dialogReset: make<DialogResetEvent>('dialog-reset.json'),
    media: make<MediaRequest>('media.json'),
    mediaResponse: make<MediaResponse>('media.json#/$defs/mediaResponse'),
  };
}

function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  if (!errors) return ['invalid'];
  // oneOf reports every failing alternative; the most specific errors are the useful ones.
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'not' && e.keyword !== 'if');
  const list = specific.length > 0 ? specific : errors;
  return [...new Set(list.map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}${e.keyword === 'enum' ? ` (${JSON.stringify(e.params)})` : ''}`))];
}

/**
 * Checks a message's `version` ("major.minor"): a higher major version than this contract's is
 * rejected with a clear reason (DESIGN §3); minor versions only add optional fields.
 */
export function checkVersion(version: string): { ok: true } | { ok: false; reason: string } {
  const dot = version.indexOf('.');
  const major = dot > 0 ? Number(version.slice(0, dot)) : NaN;
  if (!Number.isInteger(major) || !Number.isInteger(Number(version.slice(dot + 1)))) return { ok: false, reason: `version "${version}" is not major.minor` };
  if (major > CONTRACT_MAJOR) return { ok: false, reason: `version ${version} is newer than supported major ${CONTRACT_MAJOR}` };
  return { ok: true };
}
