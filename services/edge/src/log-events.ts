/**
 * Every event the edge logs: name (stable, for searching and alerting), level and message. Code
 * logs by name; the level lives here, in one place.
 */
import { defineLogEvents } from '@sipmesh/runtime';

export const edgeLogEvents = defineLogEvents({
  listening: { level: 'info', message: 'listening for SIP' },
  udp_buffer_small: { level: 'warn', message: 'UDP receive buffer smaller than configured: raise net.core.rmem_max' },
  parse_error: { level: 'debug', message: 'message could not be parsed; dropped' },
  setting_changed: { level: 'info', message: 'live setting changed' },
  setting_rejected: { level: 'warn', message: 'live setting ignored: its value cannot be used' },
  settings_unavailable: { level: 'warn', message: 'live settings bucket unavailable; route.policy serves every request' },
  scanner_refused: { level: 'warn', message: 'request from a scanner User-Agent refused (logged at most every 10 s)' },
  untrusted_received_ignored: { level: 'warn', message: 'a Route received= parameter from a source outside registrar.relayPeers was ignored' },
  sanity_failed: { level: 'info', message: 'request failed the sanity checks; answered' },
  stream_framing_error: { level: 'info', message: 'stream framing error; connection closed' },
  stream_send_failed: { level: 'warn', message: 'send on a stream connection failed' },
  timer_failed: { level: 'error', message: 'timer callback failed' },
  route_deadline: { level: 'warn', message: 'no route answer before the deadline' },
  route_error: { level: 'warn', message: 'router answered with an error' },
  route_answer_invalid: { level: 'error', message: 'route answer failed validation' },
  route_answer_not_json: { level: 'warn', message: 'continue message is not JSON; dropped' },
  route_publish_failed: { level: 'warn', message: 'route request could not be published' },
  route_unusable: { level: 'warn', message: 'route of the answer has no usable next hop' },
  next_hop_unresolved: { level: 'warn', message: 'next hop could not be resolved' },
  branch_send_failed: { level: 'warn', message: 'request to a branch could not be sent' },
  response_send_failed: { level: 'warn', message: 'response could not be sent upstream' },
  ack_timeout: { level: 'debug', message: 'no ACK for a non-2xx final response (Timer H)' },
  media_offer_refused: { level: 'warn', message: 'offer to media-control failed: the INVITE is answered 488 (rtpengine refused the SDP) or 503 (media.onUnavailable fail)' },
  media_bypassed: { level: 'warn', message: 'offer to media-control failed: SDP relayed unchanged, the call is not anchored (media.onUnavailable pass)' },
  media_answer_failed: { level: 'error', message: 'media-control could not rewrite an answer (or the offer of a 2xx): relayed unchanged, the call is up on the other side already' },
  media_answer_unchanged: { level: 'warn', message: 'media-control could not rewrite an answer (or the offer of a 2xx): relayed unchanged (media.onUnavailable pass)' },
  media_delete_failed: { level: 'warn', message: "delete of a call's media failed; rtpengine's own timeout ends the session" },
  media_relay_failed: { level: 'error', message: 'a response waiting for its media rewrite could not be relayed' },
  media_not_record_routed: { level: 'warn', message: 'anchored call without Record-Route: its BYE and re-INVITEs will not pass the edge, rtpengine keeps the session until its timeout' },
  event_publish_failed: { level: 'warn', message: 'event stream did not take a message of events (logged at most every 10 s)' },
  event_spool_engaged: { level: 'warn', message: 'event stream unreachable: event messages go to the disk spool until it takes them again' },
  event_spool_drained: { level: 'info', message: 'disk spool replayed to the event stream; publishing straight through again' },
  event_spool_restored: { level: 'warn', message: 'disk spool left by an earlier run found; replaying it before new events' },
  event_spool_full: { level: 'error', message: 'disk spool full: event messages refused and lost (logged at most every 10 s)' },
  event_spool_write_failed: { level: 'error', message: 'disk spool write failed: those event messages are lost (logged at most every 10 s)' },
  event_spool_torn: { level: 'warn', message: 'spool segment ends in an incomplete record (crash while writing); the records before it are replayed' },
  event_spool_read_failed: { level: 'error', message: 'spool segment could not be read; skipped and left on disk for the next start' },
  event_spool_delete_failed: { level: 'warn', message: 'replayed spool segment could not be deleted; the next start replays it again (duplicates are dropped by message id)' },
  event_spool_replay_retry: { level: 'info', message: 'replay from the disk spool failed; retrying with back-off (logged at most every 10 s)' },
  event_spool_unpublishable: { level: 'error', message: 'spooled event message the stream can never take (invalid subject or too large); dropped' },
  event_spool_replay_failed: { level: 'error', message: 'spool replay loop failed; retrying' },
});

export type EdgeLogEventName = keyof typeof edgeLogEvents;
