/**
 * The anchored calls this edge knows in memory: their media flags (the route answer's `media`),
 * keyed by Call-ID and the caller's tag (the `mc` parameter of our Record-Route entry names the
 * caller's tag, so a request from either side finds its call). In-dialog requests need the flags
 * for a re-offer; everything else about an anchored call rides on the Record-Route entry, so an
 * edge that restarted (and forgot) still anchors re-INVITEs and deletes on BYE, only without the
 * route answer's flags (media-control's defaults then apply).
 *
 * Entries go when the call ends (BYE, failure, dialog timeout). A call whose end the edge never
 * sees (its BYE took another path) is forgotten after `maxAgeMs`: the Map is in insertion order,
 * so the oldest are at the front and an insert prunes only those that expired.
 */
import type { RouteAnswer } from '@sipmesh/contracts';

export type MediaFlagSet = NonNullable<RouteAnswer['media']>;

interface Entry {
  readonly flags: MediaFlagSet;
  readonly at: number;
}

export class MediaSessions {
  private readonly calls = new Map<string, Entry>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.calls.size;
  }

  set(callId: string, callerTag: string, flags: MediaFlagSet): void {
    const now = this.now();
    for (const [key, e] of this.calls) {
      if (now - e.at < this.maxAgeMs) break;
      this.calls.delete(key);
    }
    const key = keyOf(callId, callerTag);
    this.calls.delete(key);
    this.calls.set(key, { flags, at: now });
  }

  get(callId: string, callerTag: string): MediaFlagSet | undefined {
    return this.calls.get(keyOf(callId, callerTag))?.flags;
  }

  has(callId: string, callerTag: string): boolean {
    return this.calls.has(keyOf(callId, callerTag));
  }

  drop(callId: string, callerTag: string): void {
    this.calls.delete(keyOf(callId, callerTag));
  }
}

function keyOf(callId: string, callerTag: string): string {
  return `${callId}\n${callerTag}`;
}
