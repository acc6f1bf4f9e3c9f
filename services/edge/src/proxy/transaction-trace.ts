/**
 * The spans of one proxied request: `edge.receive` (root, until the final response), its children
 * `edge.route_request` (publish → answer; the router's decision span is its child in another
 * process, through the traceparent bus header) and one `edge.relay` per branch. Only created when
 * tracing is on; otherwise a transaction holds no trace at all.
 */
import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { injectTraceHeaders } from '@sipmesh/runtime';
import type { SipRequest } from '../parser/sip-message.js';
import type { InboundMessage } from '../transport/transport.js';

export class TransactionTrace {
  private readonly root: Span;
  private route: Span | undefined;

  constructor(
    private readonly tracer: Tracer,
    req: SipRequest,
    inbound: InboundMessage,
    txId: string,
  ) {
    this.root = tracer.startSpan('edge.receive', {
      kind: SpanKind.SERVER,
      attributes: {
        'sip.method': req.method,
        'sip.call_id': req.callId,
        'sip.request_uri': req.requestUri,
        'sip.transaction': txId,
        'net.peer.ip': inbound.source.ip,
        'net.peer.port': inbound.source.port,
        'net.transport': inbound.source.transport,
      },
    });
  }

  get traceId(): string {
    return this.root.spanContext().traceId;
  }

  /** Starts the route request span; returns the bus headers that carry it. */
  startRouteRequest(attempt: number, subject: string): Record<string, string> | undefined {
    this.route?.end();
    const parent = trace.setSpan(context.active(), this.root);
    this.route = this.tracer.startSpan('edge.route_request', { kind: SpanKind.PRODUCER, attributes: { 'sipmesh.attempt': attempt, 'messaging.destination': subject } }, parent);
    return injectTraceHeaders(trace.setSpan(context.active(), this.route));
  }

  endRouteRequest(outcome: string): void {
    if (!this.route) return;
    this.route.setAttribute('sipmesh.route_outcome', outcome);
    if (outcome !== 'answer') this.route.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    this.route.end();
    this.route = undefined;
  }

  startRelay(branchId: string, requestUri: string, dest: string): Span {
    const parent = trace.setSpan(context.active(), this.root);
    return this.tracer.startSpan('edge.relay', { kind: SpanKind.CLIENT, attributes: { 'sip.branch': branchId, 'sip.request_uri': requestUri, 'net.peer.name': dest } }, parent);
  }

  end(status: number, outcome: string): void {
    this.endRouteRequest(outcome === 'relayed' || outcome === 'replied' ? 'answer' : outcome);
    this.root.setAttribute('sip.status_code', status);
    this.root.setAttribute('sipmesh.outcome', outcome);
    if (status >= 500) this.root.setStatus({ code: SpanStatusCode.ERROR, message: String(status) });
    this.root.end();
  }
}

export function endRelaySpan(span: Span | undefined, status: number): void {
  if (!span) return;
  span.setAttribute('sip.status_code', status);
  if (status >= 500 || status === 408) span.setStatus({ code: SpanStatusCode.ERROR, message: String(status) });
  span.end();
}
