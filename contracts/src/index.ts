export type {
  RouteRequest,
  RouteParams,
  RouteAnswer,
  Route,
  Reply,
  OnFailure,
  NameAddrChange,
  Accounting,
  ContinueMessage,
  JsonRpcError,
  JsonRpcErrorResponse,
  TransactionCompletedEvent,
  OptionsProbeRequest,
  DispatcherStateEvent,
  OptionsProbeParams,
  OptionsProbeResult,
  OptionsProbeResponse,
  Party,
  Endpoint,
  Socket,
  UriParts,
  BranchOutcome,
  CodePattern,
  HeaderLine,
  TxId,
} from './generated/types.js';
export { createValidators, checkVersion, loadSchemas, schemaDirectory } from './validators.js';
export type { ContractValidators, Validation, Validator } from './validators.js';
export {
  CONTRACT_VERSION,
  CONTRACT_MAJOR,
  EVENTS_STREAM,
  ROUTER_QUEUE,
  EDGE_QUEUE,
  ROUTER_ADMIN_QUEUE,
  DEFAULT_POLICY,
  subjects,
  formatTxId,
  parseTxId,
  isSubjectToken,
} from './subjects.js';
export { JsonRpcErrorCode } from './errors.js';
export { EVENT_COUNT_HEADER, decodeEvents, encodeEvents, eventLines } from './event-batch.js';
