/**
 * A media-control stand-in for unit tests: records every command and answers it the way the
 * test says, either at once (`auto`) or later, by hand (`reply`), so a test can hold an offer in
 * flight (CANCEL meanwhile) or answer a 183 after the 180 that follows it.
 */
import type { MediaClient, MediaCommand, MediaMethod, MediaOutcome } from './media-client.js';

export interface RecordedCommand {
  readonly method: MediaMethod;
  readonly params: MediaCommand;
  /** Answered already (by `auto` or `reply`). */
  answered: boolean;
  readonly resolve: (outcome: MediaOutcome) => void;
}

/** What rtpengine would make of an SDP here: every address becomes 192.0.2.99 and every port 30000 + n. */
export function rewrittenSdp(sdp: string, port = 30000): string {
  return sdp.replace(/IN IP4 [0-9.]+/g, 'IN IP4 192.0.2.99').replace(/^m=audio \d+/m, `m=audio ${String(port)}`);
}

export class FakeMediaClient implements MediaClient {
  readonly commands: RecordedCommand[] = [];
  /** Answers a command at once when it returns an outcome; undefined leaves it waiting for `reply`. */
  auto: ((method: MediaMethod, params: MediaCommand) => MediaOutcome | undefined) | undefined = (method, params) =>
    method === 'delete' ? { ok: true, sdp: undefined, deleted: true } : { ok: true, sdp: rewrittenSdp(params.sdp ?? '', method === 'offer' ? 30000 : 40000), deleted: undefined };

  command(method: MediaMethod, params: MediaCommand): Promise<MediaOutcome> {
    return new Promise((resolve) => {
      const c: RecordedCommand = { method, params, answered: false, resolve };
      this.commands.push(c);
      const now = this.auto?.(method, params);
      if (now !== undefined) {
        c.answered = true;
        resolve(now);
      }
    });
  }

  /** Answers the `index`th command (of all recorded). */
  reply(index: number, outcome: MediaOutcome): void {
    const c = this.commands[index];
    if (c === undefined || c.answered) throw new Error(`no waiting media command #${index}`);
    c.answered = true;
    c.resolve(outcome);
  }

  /** Method and the params that matter most, for compact assertions. */
  summary(): { method: MediaMethod; to_tag?: string; side?: string; reason?: string; flags?: unknown }[] {
    return this.commands.map(({ method, params }) => ({
      method,
      ...(params.to_tag !== undefined ? { to_tag: params.to_tag } : {}),
      ...(params.side !== undefined ? { side: params.side } : {}),
      ...(params.reason !== undefined ? { reason: params.reason } : {}),
      ...(params.flags !== undefined ? { flags: params.flags } : {}),
    }));
  }
}

/** Lets promise callbacks (media replies) run. */
export function flushMedia(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
