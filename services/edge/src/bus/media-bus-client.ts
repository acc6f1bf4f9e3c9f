/**
 * The media client over the bus: one JSON-RPC 2.0 request per command on
 * `sipmesh.media.v1.<method>` (queue group sipmesh-media, any media-control answers), the reply
 * validated against the contract. Every failure comes back as a value (media/media-client.ts):
 * no responders or a closed bus is `unavailable` at once, no reply within `timeoutMs` is
 * `timeout`, JSON-RPC errors map by code (1005 unavailable, 1006 rejected, -32602 invalid).
 */
import { CONTRACT_VERSION, JsonRpcErrorCode, subjects, type ContractValidators, type MediaRequest } from '@sipmesh/contracts';
import { BusErrorCode, isBusError, type Bus } from '@sipmesh/runtime';
import { MediaFailure, type MediaClient, type MediaCommand, type MediaMethod, type MediaOutcome } from '../media/media-client.js';

export interface MediaClientObserver {
  /** One command answered (outcome `ok` or a MediaFailure), with its round trip. */
  mediaCommand(method: MediaMethod, outcome: 'ok' | MediaFailure, seconds: number): void;
}

export interface BusMediaClientOptions {
  readonly edgeId: string;
  readonly timeoutMs: number;
}

export class BusMediaClient implements MediaClient {
  private counter = 0;
  private readonly idPrefix: string;

  constructor(
    private readonly bus: Bus,
    private readonly validators: ContractValidators,
    private readonly options: BusMediaClientOptions,
    private readonly observer: MediaClientObserver,
  ) {
    this.idPrefix = `${options.edgeId}.m${Math.floor(Math.random() * 46656).toString(36)}.`;
  }

  async command(method: MediaMethod, params: MediaCommand): Promise<MediaOutcome> {
    const started = performance.now();
    const outcome = await this.send(method, params);
    this.observer.mediaCommand(method, outcome.ok ? 'ok' : outcome.failure, (performance.now() - started) / 1000);
    return outcome;
  }

  private async send(method: MediaMethod, params: MediaCommand): Promise<MediaOutcome> {
    const id = `${this.idPrefix}${(++this.counter).toString(36)}`;
    const request: MediaRequest = { jsonrpc: '2.0', id, method, params: { version: CONTRACT_VERSION, edge: this.options.edgeId, ...params } };
    let body: unknown;
    try {
      const reply = await this.bus.request(subjects.media(method), Buffer.from(JSON.stringify(request)), { timeoutMs: this.options.timeoutMs });
      body = reply.json<unknown>();
    } catch (e) {
      if (isBusError(e, BusErrorCode.timeout)) return failed(MediaFailure.timeout, `media-control did not answer '${method}' within ${String(this.options.timeoutMs)} ms`);
      if (isBusError(e)) return failed(MediaFailure.unavailable, `media-control unreachable: ${e.message}`);
      return failed(MediaFailure.error, `media-control reply is not JSON: ${(e as Error).message}`);
    }
    const v = this.validators.mediaResponse(body);
    if (!v.ok) return failed(MediaFailure.error, `media-control reply fails validation: ${v.errors.join('; ')}`);
    const response = v.value;
    if (response.error) {
      const { code, message } = response.error;
      if (code === JsonRpcErrorCode.mediaUnavailable) return failed(MediaFailure.unavailable, message);
      if (code === JsonRpcErrorCode.mediaRejected) return failed(MediaFailure.rejected, message);
      if (code === JsonRpcErrorCode.invalidParams) return failed(MediaFailure.invalid, message);
      return failed(MediaFailure.error, `${String(code)}: ${message}`);
    }
    const result = response.result;
    if (result === undefined) return failed(MediaFailure.error, 'media-control reply has neither result nor error');
    if (method !== 'delete' && (result.sdp === undefined || result.sdp === '')) return failed(MediaFailure.error, `media-control answered '${method}' without an SDP`);
    return { ok: true, sdp: result.sdp, deleted: result.deleted };
  }
}

function failed(failure: MediaFailure, message: string): MediaOutcome {
  return { ok: false, failure, message };
}
