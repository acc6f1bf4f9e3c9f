/**
 * JSON-RPC error codes used on the bus. -32768..-32000 are JSON-RPC's own; sipmesh codes are positive
 * and stable, so a policy in any language can switch on them.
 */
export const JsonRpcErrorCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** The message's major version is newer than the receiver understands. */
  unsupportedVersion: 1001,
  /** The policy named in the subject does not exist on this router. */
  unknownPolicy: 1002,
  /** The policy failed while deciding (data missing, dependency down). */
  policyFailed: 1003,
  /** An edge could not perform the action at all (unparsable URI, unsupported transport, DNS). */
  edgeActionFailed: 1004,
  /** media-control has no rtpengine instance that answers (all down, timed out or at their load limit). */
  mediaUnavailable: 1005,
  /** rtpengine refused the command (`result: error`: unknown call, unparsable SDP); the message says why. */
  mediaRejected: 1006,
} as const;
export type JsonRpcErrorCode = (typeof JsonRpcErrorCode)[keyof typeof JsonRpcErrorCode];
