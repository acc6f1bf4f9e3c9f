/**
 * The edge side of suspend/continue (DESIGN §2, §3). A route request is published on
 * `sipmesh.route.v1.<policy>` with reply subject `sipmesh.edge.<edge>.continue.<index>.<label>`;
 * the answer may come there or, from any process that knows the id, on `sipmesh.edge.<edge>.continue`
 * with the id in the JSON-RPC body. A NATS no-responders status on the reply subject names its
 * transaction through the subject, so "no router running" fails at once instead of at the deadline.
 */
import { checkVersion, subjects, type ContractValidators, type RouteParams, type RouteRequest } from '@sipmesh/contracts';
import type { Bus, BusMessage, BusSubscription } from '@sipmesh/runtime';
import { REGISTRAR_TARGET, type RouteAsker, type Suspended } from '../proxy/proxy-context.js';
import type { EdgeLogEventName } from '../log-events.js';

export interface RouteClientCounters {
  inc(name: 'route_unmatched_answers' | 'route_malformed_answers' | 'route_publish_failures'): void;
}

export class RouteClient implements RouteAsker {
  private readonly waiting = new Map<string, Suspended>();
  private readonly subs: BusSubscription[] = [];
  private readonly continuePrefixLength: number;
  private readonly policySubjects = new Map<string, string>();

  constructor(
    private readonly bus: Bus,
    private readonly edgeId: string,
    private readonly validators: ContractValidators,
    private readonly counters: RouteClientCounters,
    private readonly log: (event: EdgeLogEventName, fields: Record<string, unknown>) => void,
  ) {
    this.continuePrefixLength = subjects.continue(edgeId).length + 1;
  }

  start(): void {
    const handler = (msg: BusMessage): void => this.onContinue(msg);
    this.subs.push(this.bus.subscribe(subjects.continueWildcard(this.edgeId), handler));
    this.subs.push(this.bus.subscribe(subjects.continue(this.edgeId), handler));
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
  }

  get suspendedCount(): number {
    return this.waiting.size;
  }

  ask(tx: Suspended, params: RouteParams, traceHeaders: Record<string, string> | undefined, policy: string | typeof REGISTRAR_TARGET): void {
    const request: RouteRequest = { jsonrpc: '2.0', id: tx.askId, method: 'route', params };
    this.waiting.set(tx.askId, tx);
    const subject = policy === REGISTRAR_TARGET ? subjects.register : this.policySubject(policy);
    try {
      this.bus.publish(subject, Buffer.from(JSON.stringify(request)), {
        reply: subjects.continueFor(tx.askId),
        ...(traceHeaders ? { headers: traceHeaders } : {}),
      });
    } catch (e) {
      // closed bus or full reconnect buffer: the router is unreachable right now
      this.counters.inc('route_publish_failures');
      this.log('route_publish_failed', { askId: tx.askId, error: (e as Error).message });
      queueMicrotask(() => tx.onNoResponders());
    }
  }

  private policySubject(policy: string): string {
    let subject = this.policySubjects.get(policy);
    if (subject === undefined) {
      subject = subjects.route(policy);
      this.policySubjects.set(policy, subject);
    }
    return subject;
  }

  forget(askId: string): void {
    this.waiting.delete(askId);
  }

  private onContinue(msg: BusMessage): void {
    if (msg.noResponders) {
      const txId = this.txIdFromSubject(msg.subject);
      const tx = txId === undefined ? undefined : this.waiting.get(txId);
      if (tx) tx.onNoResponders();
      return;
    }
    let body: unknown;
    try {
      body = msg.json<unknown>();
    } catch {
      this.counters.inc('route_malformed_answers');
      this.log('route_answer_not_json', { subject: msg.subject, bytes: msg.data.length });
      return;
    }
    const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
    const tx = typeof id === 'string' ? this.waiting.get(id) : undefined;
    if (!tx) {
      // late (deadline passed, CANCEL), duplicate, or not ours
      this.counters.inc('route_unmatched_answers');
      return;
    }
    const v = this.validators.continueMessage(body);
    if (!v.ok) {
      tx.onInvalidAnswer(v.errors);
      return;
    }
    const message = v.value;
    if (message.error) {
      const data = message.error.data as { reply?: { code?: unknown; reason?: unknown } } | undefined;
      const reply = data?.reply && typeof data.reply.code === 'number' && data.reply.code >= 300 && data.reply.code <= 699 && typeof data.reply.reason === 'string' ? { code: data.reply.code, reason: data.reply.reason.replace(/[\r\n]/g, ' ') } : undefined;
      tx.onRouterError(message.error.code, message.error.message, reply);
      return;
    }
    const result = message.result;
    if (!result) {
      tx.onInvalidAnswer(['/: neither result nor error']);
      return;
    }
    const version = checkVersion(result.version);
    if (!version.ok) {
      tx.onInvalidAnswer([`/result/version: ${version.reason}`]);
      return;
    }
    tx.onAnswer(result);
  }

  /** `sipmesh.edge.<edge>.continue.<index>.<label>` → `<edge>.<index>.<label>`. */
  private txIdFromSubject(subject: string): string | undefined {
    if (subject.length <= this.continuePrefixLength) return undefined;
    return `${this.edgeId}.${subject.slice(this.continuePrefixLength)}`;
  }
}
