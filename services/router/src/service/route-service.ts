/**
 * Answers route requests on `sipmesh.route.v1.<policy>` in the router queue group: one member of
 * the group gets each request (no evapi-style broadcast). Policies can be replaced while running;
 * a request in flight finishes with the policy it started with.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { checkVersion, JsonRpcErrorCode, ROUTER_QUEUE, subjects, type ContractValidators, type RouteAnswer, type RouteRequest } from '@sipmesh/contracts';
import { extractTraceContext, type Bus, type BusMessage, type BusSubscription, type Logger } from '@sipmesh/runtime';
import type { Policy } from '../policy/policy.js';

export interface RouteServiceCounters {
  decided(policy: string, outcome: 'routes' | 'reply' | 'error'): void;
  /** Time the policy took to decide, in seconds (parsing and answering excluded). */
  decisionTime(policy: string, seconds: number): void;
  shadowed(policy: string, shadow: string, result: 'agree' | 'disagree' | 'error'): void;
}

/** What two answers are compared on: the reply, or the routing and each route's target. */
export function answerSummary(a: RouteAnswer): string {
  if (a.reply) return `reply ${a.reply.code}`;
  return `${a.routing ?? 'serial'} ${(a.routes ?? []).map((r) => `${r.uri ?? '-'}>${r.dst_uri ?? '-'}`).join(' ')}`;
}

export class RouteService {
  private policies: ReadonlyMap<string, Policy> = new Map();
  private shadows: ReadonlyMap<string, string> = new Map();
  private lastShadowLog = new Map<string, number>();
  private readonly subs = new Map<string, BusSubscription>();

  constructor(
    private readonly bus: Bus,
    private readonly validators: ContractValidators,
    private readonly counters: RouteServiceCounters,
    private readonly logger: Logger,
    private readonly tracer: Tracer | undefined,
    private readonly validateRequests: boolean,
  ) {}

  /** Installs a new policy set: subscribes new names, unsubscribes removed ones. */
  setPolicies(policies: ReadonlyMap<string, Policy>, shadows: ReadonlyMap<string, string> = new Map()): void {
    this.policies = policies;
    this.shadows = shadows;
    for (const name of policies.keys()) {
      if (this.subs.has(name)) continue;
      this.subs.set(name, this.bus.subscribe(subjects.route(name), (msg) => this.onRequest(name, msg), { queue: ROUTER_QUEUE }));
    }
    for (const [name, sub] of this.subs) {
      if (policies.has(name)) continue;
      sub.unsubscribe();
      this.subs.delete(name);
    }
  }

  get policyNames(): string[] {
    return [...this.policies.keys()];
  }

  stop(): void {
    for (const s of this.subs.values()) s.unsubscribe();
    this.subs.clear();
  }

  private async onRequest(policyName: string, msg: BusMessage): Promise<void> {
    const span = this.tracer?.startSpan('router.decide', { kind: SpanKind.CONSUMER, attributes: { 'sipmesh.policy': policyName } }, extractTraceContext(msg.headers));
    let id: string | null = null;
    try {
      let body: unknown;
      try {
        body = msg.json<unknown>();
      } catch {
        this.fail(msg, null, JsonRpcErrorCode.parseError, 'route request is not JSON', policyName, span);
        return;
      }
      id = typeof (body as { id?: unknown } | null)?.id === 'string' ? (body as { id: string }).id : null;
      let request: RouteRequest;
      if (this.validateRequests) {
        const v = this.validators.routeRequest(body);
        if (!v.ok) {
          this.fail(msg, id, JsonRpcErrorCode.invalidParams, `invalid route request: ${v.errors.join('; ')}`, policyName, span);
          return;
        }
        request = v.value;
      } else {
        request = body as RouteRequest; // trusted edge; validation turned off by config
      }
      const version = checkVersion(request.params.version);
      if (!version.ok) {
        this.fail(msg, id, JsonRpcErrorCode.unsupportedVersion, version.reason, policyName, span);
        return;
      }
      const policy = this.policies.get(policyName);
      if (!policy) {
        this.fail(msg, id, JsonRpcErrorCode.unknownPolicy, `policy ${policyName} is not loaded`, policyName, span);
        return;
      }
      const t0 = process.hrtime.bigint();
      const answer: RouteAnswer = await policy.decide(request.params);
      this.counters.decisionTime(policyName, Number(process.hrtime.bigint() - t0) / 1e9);
      span?.setAttribute('sipmesh.decision', answer.reply ? `reply ${answer.reply.code}` : `${answer.routing ?? 'serial'} x${answer.routes?.length ?? 0}`);
      msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, result: answer })));
      this.counters.decided(policyName, answer.reply ? 'reply' : 'routes');
      const shadowName = this.shadows.get(policyName);
      const shadow = shadowName === undefined ? undefined : this.policies.get(shadowName);
      if (shadow && shadowName !== undefined) void this.shadow(policyName, shadowName, shadow, request, answer);
    } catch (e) {
      span?.recordException(e as Error);
      this.logger.error({ err: e, policy: policyName, id }, 'policy failed');
      this.fail(msg, id, JsonRpcErrorCode.policyFailed, (e as Error).message, policyName, span);
    } finally {
      span?.end();
    }
  }

  /** Shadow mode: the other policy decides the same request after the answer left; only the difference is kept. */
  private async shadow(policyName: string, shadowName: string, shadow: Policy, request: RouteRequest, acted: RouteAnswer): Promise<void> {
    let other: RouteAnswer;
    try {
      other = await shadow.decide(request.params);
    } catch (e) {
      this.counters.shadowed(policyName, shadowName, 'error');
      this.logger.warn({ err: e, policy: policyName, shadow: shadowName }, 'shadow policy failed');
      return;
    }
    const a = answerSummary(acted);
    const b = answerSummary(other);
    if (a === b) {
      this.counters.shadowed(policyName, shadowName, 'agree');
      return;
    }
    this.counters.shadowed(policyName, shadowName, 'disagree');
    // One line per second and policy pair at most: a shadow that disagrees usually does so a lot.
    const now = Date.now();
    const key = `${policyName}>${shadowName}`;
    if (now - (this.lastShadowLog.get(key) ?? 0) >= 1000) {
      this.lastShadowLog.set(key, now);
      this.logger.info({ policy: policyName, shadow: shadowName, tx: request.params.tx, ruri: request.params.ruri, acted: a, shadowAnswer: b }, 'shadow policy disagrees');
    }
  }

  private fail(msg: BusMessage, id: string | null, code: number, message: string, policy: string, span: Span | undefined): void {
    this.counters.decided(policy, 'error');
    this.logger.warn({ code, policy, id }, message);
    span?.setStatus({ code: SpanStatusCode.ERROR, message });
    msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })));
  }
}
