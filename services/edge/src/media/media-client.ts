/**
 * What the proxy needs from media-control: `offer`, `answer` and `delete` of the media contract
 * (contracts/schemas/v1/media.json), each resolving with the rewritten SDP or a typed failure.
 * Expected failures are values, never rejections (STYLE: errors are values at boundaries), so a
 * transaction waiting for media cannot be left hanging by a thrown error. The bus implementation
 * is bus/media-bus-client.ts; unit tests use a fake.
 */
import type { MediaParams } from '@sipmesh/contracts';

export const MediaMethod = { offer: 'offer', answer: 'answer', delete: 'delete' } as const;
export type MediaMethod = (typeof MediaMethod)[keyof typeof MediaMethod];

export const MediaFailure = {
  /** media-control answered mediaUnavailable (no rtpengine up), or nobody listens (no responders, bus down). */
  unavailable: 'unavailable',
  /** No answer within media.timeoutMs. */
  timeout: 'timeout',
  /** rtpengine refused the command (mediaRejected: an SDP it cannot parse, an unknown call). */
  rejected: 'rejected',
  /** media-control said the request is invalid (flags it cannot use, an unknown set). */
  invalid: 'invalid',
  /** Anything else: an internal error of media-control, a reply that fails validation. */
  error: 'error',
} as const;
export type MediaFailure = (typeof MediaFailure)[keyof typeof MediaFailure];

export type MediaOutcome = { readonly ok: true; readonly sdp: string | undefined; readonly deleted: boolean | undefined } | { readonly ok: false; readonly failure: MediaFailure; readonly message: string };

/** The parameters the edge fills in; `version` and `edge` are the client's. */
export type MediaCommand = Omit<MediaParams, 'version' | 'edge'>;

export interface MediaClient {
  command(method: MediaMethod, params: MediaCommand): Promise<MediaOutcome>;
}
