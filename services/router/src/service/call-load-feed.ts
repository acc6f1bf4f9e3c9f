/**
 * Feeds the dispatcher's call-load algorithm from the edges' transaction-completed events (every
 * router sees every event; each keeps its own loads): an INVITE that ends with 3xx-6xx (a refusal,
 * a CANCEL's 487, a timeout) gives its load back at once (Kamailio `ds_load_unset`), a BYE ends the
 * call (`ds_load_update`). Dialog events will replace the BYE rule when the edge tracks dialogs.
 */
import { decodeEvents, subjects, type TransactionCompletedEvent } from '@sipmesh/contracts';
import type { Bus, BusSubscription, Logger } from '@sipmesh/runtime';
import type { Dispatcher } from '../policy/dispatcher/dispatcher.js';

export class CallLoadFeed {
  private sub: BusSubscription | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly dispatcher: () => Dispatcher | undefined,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.sub = this.bus.subscribe(subjects.events.transactionCompleted, (msg) => {
      let events: unknown[];
      try {
        events = decodeEvents(msg.data);
      } catch (e) {
        this.logger.warn({ err: e }, 'unreadable transaction event message');
        return;
      }
      const d = this.dispatcher();
      if (!d || d.countedCalls === 0) return;
      for (const raw of events) {
        const e = raw as Partial<TransactionCompletedEvent>;
        if (typeof e.call_id !== 'string' || typeof e.status !== 'number') continue;
        if (e.method === 'INVITE' && e.status >= 300) d.callFailedById(e.call_id);
        else if (e.method === 'BYE') d.callEndedById(e.call_id);
      }
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }
}
