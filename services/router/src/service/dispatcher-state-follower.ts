/**
 * Dispatcher destination states shared by every router: each router probes on its own, and when
 * one sees a destination go down or come back it announces it (dispatcher-state events); the
 * others apply the same state at once instead of routing calls to a dead destination until their
 * own keepalives notice. A router ignores its own announcements and destinations it does not have
 * (another routes file); its own later probes keep correcting its state as before.
 */
import { decodeEvents, subjects, type ContractValidators } from '@sipmesh/contracts';
import type { Bus, BusSubscription, Logger } from '@sipmesh/runtime';
import type { Dispatcher } from '../policy/dispatcher/dispatcher.js';

export class DispatcherStateFollower {
  private sub: BusSubscription | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly routerId: string,
    private readonly validators: ContractValidators,
    private readonly dispatcher: () => Dispatcher | undefined,
    private readonly logger: Logger,
    /** Counts states taken over from another router. */
    private readonly followed: () => void = () => undefined,
  ) {}

  start(): void {
    this.sub = this.bus.subscribe(subjects.events.dispatcherState, (msg) => {
      let events: unknown[];
      try {
        events = decodeEvents(msg.data);
      } catch (e) {
        this.logger.warn({ err: e }, 'unreadable dispatcher state message');
        return;
      }
      for (const raw of events) {
        const v = this.validators.dispatcherState(raw);
        if (!v.ok) {
          this.logger.warn({ errors: v.errors }, 'dispatcher state event out of contract; ignored');
          continue;
        }
        const e = v.value;
        if (e.router === this.routerId) continue;
        const d = this.dispatcher();
        const now = d?.statusOf(e.set, e.uri);
        if (!d || !now || (now.state === e.state && now.probing === e.probing)) continue;
        d.setState(e.set, e.uri, { state: e.state, probing: e.probing });
        this.followed();
        this.logger.info({ set: e.set, uri: e.uri, state: e.state, previous: now.state, from: e.router }, 'dispatcher destination state taken from another router');
      }
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }
}
