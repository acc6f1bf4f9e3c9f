/** The edge's metrics, declared in one table; counters are named after the pipeline step they count. */
import { declareMetrics } from '@sipmesh/runtime';
import type { Gauge, Registry } from 'prom-client';
import type { EdgeCounter } from './proxy/edge-core.js';
import type { SpoolCounterName } from './bus/event-spool.js';
import type { MediaClientObserver } from './bus/media-bus-client.js';

const COUNTERS: Readonly<Record<EdgeCounter | 'events_published' | 'events_failed' | SpoolCounterName | 'route_unmatched_answers' | 'route_malformed_answers' | 'route_publish_failures' | 'route_canary' | 'register_challenges_local', string>> = {
  requests_received: 'SIP requests received',
  responses_received: 'SIP responses received',
  parse_errors: 'Messages that could not be parsed (dropped)',
  sanity_failures: 'Requests rejected by the sanity checks (400/416/420/505)',
  too_many_hops: 'Requests rejected with 483 Too Many Hops',
  options_keepalive: 'OPTIONS to the edge itself answered 200',
  route_canary: 'Route requests sent to a canary policy instead of the selected one',
  scanners_refused: 'Requests from scanner User-Agents refused (dropped or answered as configured)',
  untrusted_received_ignored: 'Route received= parameters ignored because the request did not come from registrar.relayPeers',
  retransmissions_absorbed: 'Request retransmissions absorbed by a server transaction',
  acks_absorbed: 'ACKs matched to an INVITE server transaction',
  acks_forwarded: 'ACKs for 2xx forwarded along Route',
  acks_dropped: 'ACKs matching nothing (dropped)',
  cancels_matched: 'CANCELs matched to an INVITE',
  cancels_unmatched: 'CANCELs matching no transaction',
  not_here: 'In-dialog requests answered 404 Not here',
  loops_detected: 'Requests answered 482 Loop Detected',
  transaction_limit: 'Requests refused because the transaction table is full',
  oversize: 'Requests answered 513 Message Too Large',
  stray_responses_forwarded: 'Responses without transaction forwarded statelessly (2xx to INVITE)',
  stray_responses_dropped: 'Responses without transaction dropped',
  transactions_completed: 'Server transactions that sent their final response',
  route_requests: 'Route requests published',
  route_answers: 'Route answers applied',
  route_late_answers: 'Route answers that arrived after the transaction stopped waiting',
  route_deadline: 'Transactions whose route deadline passed',
  route_no_responders: 'Route requests nobody listened to',
  route_invalid_answers: 'Route answers that failed validation',
  route_errors: 'Route answers that were JSON-RPC errors',
  route_cancelled_while_suspended: 'Transactions CANCELled while waiting for the router',
  route_fallbacks: 'Route requests re-asked to the fallback policy (deadline or no responders)',
  route_unmatched_answers: 'Answers for unknown or finished transactions',
  route_malformed_answers: 'Answers that were not JSON',
  route_publish_failures: 'Route requests that could not be published',
  register_challenges_local: 'REGISTERs without credentials answered 401 by the edge itself (registrar.challenge)',
  branches_started: 'Branches (client transactions) started',
  branch_timeouts: 'Branches that timed out (local 408)',
  branch_transport_errors: 'Branches that failed to send (local 503)',
  cancels_sent: 'CANCELs sent to branches',
  events_published: 'Events accepted by the event stream',
  events_failed: 'Events the event stream did not accept',
  events_spooled: 'Events written to the disk spool while the event stream was unreachable',
  events_replayed: 'Events replayed from the disk spool into the event stream',
  events_spool_dropped: 'Events the disk spool lost: refused when full, failed disk writes, or unpublishable',
  media_bypassed: 'Calls relayed with their SDP unchanged because the offer to media-control failed (media.onUnavailable pass)',
  media_answer_failures: 'SDP answers (or late offers) relayed unchanged because media-control could not rewrite them',
};

export type EdgeMetricName = keyof typeof COUNTERS;

export type EdgeGaugeName = keyof typeof GAUGES;

export interface EdgeMetrics extends MediaClientObserver {
  inc(name: EdgeMetricName, by?: number): void;
  /** Gauges are read from their source when scraped, so a reading is never older than the scrape. */
  readGaugesFrom(sources: Readonly<Record<EdgeGaugeName, () => number>>): void;
}

const GAUGES = {
  sipmesh_edge_transactions_live: { type: 'gauge', help: 'Live server and client transactions' },
  sipmesh_edge_suspended: { type: 'gauge', help: 'Transactions waiting for a route answer' },
  sipmesh_edge_tcp_connections: { type: 'gauge', help: 'Open TCP connections' },
  sipmesh_edge_calls_open: { type: 'gauge', help: 'Calls (dialogs) this edge tracks now' },
  sipmesh_edge_event_spool_bytes: { type: 'gauge', help: 'Bytes in the disk event spool (files plus messages being written)' },
  sipmesh_edge_event_spool_messages: { type: 'gauge', help: 'Event messages in the disk event spool, not in the stream yet' },
} as const;

/** Media commands (bus/media-bus-client.ts): labelled, so declared apart from the plain counters. */
const MEDIA = {
  sipmesh_edge_media_commands_total: { type: 'counter', help: 'Commands sent to media-control, by method and outcome (ok, unavailable, timeout, rejected, invalid, error)', labelNames: ['method', 'outcome'] },
  sipmesh_edge_media_duration_seconds: {
    type: 'histogram',
    help: 'Round trip of a command to media-control, timeouts included',
    labelNames: ['method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  },
} as const;

export function createEdgeMetrics(registry: Registry): EdgeMetrics {
  const table: Record<string, { type: 'counter'; help: string }> = {};
  for (const [name, help] of Object.entries(COUNTERS)) table[`sipmesh_edge_${name}_total`] = { type: 'counter', help };
  const counters = declareMetrics(registry, table);
  const byName = new Map(Object.keys(COUNTERS).map((n) => [n, counters[`sipmesh_edge_${n}_total`]]));
  const gauges = declareMetrics(registry, GAUGES);
  const media = declareMetrics(registry, MEDIA);
  return {
    mediaCommand(method, outcome, seconds) {
      media.sipmesh_edge_media_commands_total.inc({ method, outcome });
      media.sipmesh_edge_media_duration_seconds.observe({ method }, seconds);
    },
    inc(name, by = 1) {
      byName.get(name)?.inc(by);
    },
    readGaugesFrom(sources) {
      for (const name of Object.keys(GAUGES) as EdgeGaugeName[]) {
        const gauge: Gauge = gauges[name];
        const read = sources[name];
        // prom-client calls a metric's `collect` before every read of its value
        Object.assign(gauge, { collect: () => gauge.set(read()) });
      }
    },
  };
}
