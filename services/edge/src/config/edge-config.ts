/**
 * Edge configuration: one JSON Schema with defaults, units and reload notes (the config reference in
 * docs/configuration.md is rendered from it), plus the table of environment overrides.
 */
import { eventBatchConfigSection, type EventBatchConfig } from '@sipmesh/runtime';

export const listenerSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    transport: { enum: ['udp', 'tcp'], description: 'Transport of this listener (TLS and WebSocket come with their own issue)' },
    ip: { type: 'string', description: 'Address to bind' },
    port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Port to bind (0 picks a free one)' },
    advertise: { type: 'string', description: 'host[:port] written into Via and Record-Route instead of ip:port (NAT, DNS names)' },
    name: { type: 'string', description: 'Socket name a route answer may select ("socket": "name")' },
  },
  required: ['transport', 'ip', 'port'],
} as const;

function replyTemplateSchema(description: string) {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      code: { type: 'integer', minimum: 400, maximum: 699, default: 503, description: 'Status code' },
      reason: { type: 'string', default: 'Service Unavailable', description: 'Reason phrase' },
      retryAfterS: { type: 'integer', minimum: 0, default: 5, 'x-unit': 's', description: 'Retry-After of the reply; 0 omits the header' },
    },
    description,
  } as const;
}

const codePattern = { oneOf: [{ type: 'integer', minimum: 300, maximum: 699 }, { type: 'string', pattern: '^[3-6](xx|[0-9]{2})$' }] } as const;

export const edgeConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: {
      type: 'string',
      pattern: '^[A-Za-z0-9_-]+$',
      default: 'edge1',
      description: 'Edge id: first token of transaction ids and of the edge subjects; unique per running edge',
    },
    listen: {
      type: 'array',
      minItems: 1,
      items: listenerSchema,
      default: [
        { transport: 'udp', ip: '127.0.0.1', port: 5060 },
        { transport: 'tcp', ip: '127.0.0.1', port: 5060 },
      ],
      description: 'SIP listeners',
    },
    domains: {
      type: 'array',
      items: { type: 'string' },
      default: [],
      description: 'Domains served here (Kamailio `alias`); listener addresses and advertised names always count as ours',
    },
    sip: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxMessageBytes: { type: 'integer', minimum: 1024, maximum: 1048576, default: 65535, 'x-unit': 'bytes', description: 'Larger requests get 513 Message Too Large' },
        maxHeaderBytes: { type: 'integer', minimum: 512, maximum: 1048576, default: 16384, 'x-unit': 'bytes', description: 'Stream transports: header section limit while framing' },
        maxForwardsDefault: { type: 'integer', minimum: 1, maximum: 255, default: 70, description: 'Max-Forwards inserted into requests that have none (RFC 3261 §16.6)' },
        serverHeader: { type: 'string', default: 'sipmesh', description: 'Server header of locally generated responses; empty string omits it' },
        proxyRequireSupported: { type: 'array', items: { type: 'string' }, default: [], description: 'Option tags accepted in Proxy-Require (others get 420 Bad Extension)' },
        convert503To500: { type: 'boolean', default: true, description: 'Forward a downstream 503 as 500 when it is the best response (RFC 3261 §16.7 step 6)' },
        unmatchedCancel: { enum: ['drop', 'reply-481'], default: 'drop', description: 'CANCEL that matches no transaction: drop silently (Kamailio default script) or answer 481' },
      },
    },
    security: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        scannerUserAgents: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: ['friendly-scanner', 'sipvicious', 'sipcli', 'sip-scan', 'sipscan', 'sundayddr', 'iwar', 'sivus', 'gulp', 'siparmyknife', 'smap', 'xcvl23', 'pplsip', 'sipptk', 'vaxsip'],
          description: 'User-Agent substrings (case-insensitive) of known scanners, checked before anything else; [] turns the check off. sipsak is a legitimate tool and not in the default list',
        },
        scannerAction: { enum: ['drop', 'reply'], default: 'drop', description: 'drop: no answer at all ("silence is golden"); reply: answer with scannerReply (the book chapter 2 answers 200 OK to look like a real server)' },
        scannerReply: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            code: { type: 'integer', minimum: 200, maximum: 699, default: 200 },
            reason: { type: 'string', pattern: '^[^\\r\\n]*$', default: 'OK' },
          },
        },
      },
    },
    timers: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        t1Ms: { type: 'integer', minimum: 10, default: 500, 'x-unit': 'ms', description: 'RFC 3261 T1, round-trip estimate' },
        t2Ms: { type: 'integer', minimum: 100, default: 4000, 'x-unit': 'ms', description: 'RFC 3261 T2, maximum retransmit interval of non-INVITE requests and INVITE responses' },
        t4Ms: { type: 'integer', minimum: 100, default: 5000, 'x-unit': 'ms', description: 'RFC 3261 T4, maximum time a message stays in the network' },
        frTimerMs: { type: 'integer', minimum: 100, default: 30000, 'x-unit': 'ms', description: 'Default branch timer: no final (non-INVITE) or no response at all (INVITE) within this time → 408 (Kamailio fr_timer); a route can override' },
        frInvTimerMs: { type: 'integer', minimum: 100, default: 120000, 'x-unit': 'ms', description: 'Timer C of INVITE branches (RFC 3261 §16.8, Kamailio fr_inv_timer): restarted by each provisional; when it fires the branch is CANCELled (408 without a provisional). Kamailio default; RFC 3261 asks for more than 3 min. A route can override (fr_inv_timer)' },
      },
    },
    route: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        policy: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'default', description: 'Policy asked for initial requests (subject sipmesh.route.v1.<policy>), unless the settings bucket names another' },
        settingsBucket: {
          type: 'string',
          pattern: '^([A-Za-z0-9_-]+)?$',
          default: 'sipmesh_settings',
          description: 'Live settings (NATS KV bucket; in memory in embedded mode): policy.default, policy.domain.<domain> and canary.<policy> switch policies without a restart. Empty: only route.policy',
        },
        deadlineMs: { type: 'integer', minimum: 10, default: 5000, 'x-unit': 'ms', description: 'Longest wait for a route answer; must stay below frTimerMs' },
        fallbackPolicy: {
          type: 'string',
          pattern: '^([A-Za-z0-9_-]+)?$',
          default: '',
          description: 'Policy asked once more when the first one misses its deadline or has no responders (empty: answer with deadlineReply/unavailableReply at once)',
        },
        deadlineReply: replyTemplateSchema('Reply when the route deadline passes'),
        unavailableReply: replyTemplateSchema('Reply when no router is listening (no responders) or the bus is down'),
        failoverCodes: { type: 'array', items: codePattern, default: [408, 480, '5xx'], description: 'Default codes that make a serial route set try its next route (never 486/600/603 unless listed)' },
        maxAttempts: { type: 'integer', minimum: 1, maximum: 16, default: 4, description: 'Most route requests for one transaction (on_failure: ask)' },
      },
    },
    registrar: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: {
          type: 'boolean',
          default: true,
          description: 'REGISTER for one of our domains goes to the registrar (sipmesh.registrar.v1.register); false: to the routing policy like any request (registration proxying with Path, book 8.14.1)',
        },
        relayPeers: {
          type: 'array',
          items: { type: 'string', pattern: '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$' },
          default: ['127.0.0.0/8', '::1/128'],
          description:
            'Networks of the other edges (address or CIDR). A request from them whose Route names this edge with a received= parameter goes straight to that address: how a call reaches a phone registered through this edge. From anywhere else the parameter is ignored',
        },
        challenge: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: "The edge answers a REGISTER without credentials with the registrar's 401 challenge itself (one trip to the registrar per registration instead of two), without a transaction as Kamailio's auth_challenge (a retransmission gets a fresh challenge). Every setting must equal the registrars' auth setting of the same name; the registrar verifies the edge's nonces",
          properties: {
            enabled: { type: 'boolean', default: false, description: 'Challenge credential-less REGISTERs here (needs secret)' },
            secret: { type: 'string', default: '', description: "The registrars' auth.secret" },
            nonceLifetimeSec: { type: 'integer', minimum: 5, default: 300, 'x-unit': 's', description: "The registrars' auth.nonceLifetimeSec" },
            algorithms: { type: 'array', items: { enum: ['MD5', 'SHA-256'] }, minItems: 1, default: ['MD5'], description: "The registrars' auth.algorithms" },
            qop: { enum: ['auth', 'none'], default: 'auth', description: "The registrars' auth.qop" },
          },
        },
      },
    },
    nat: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: "Reaching user agents behind NAT inside dialogs (Kamailio nathelper's set_contact_alias and handle_ruri_alias)",
      properties: {
        contactAlias: {
          type: 'boolean',
          default: true,
          description:
            'Add ;alias=ip~port~proto (the address the message really came from) to the Contact of a request from a user agent behind NAT (first hop, see test) and of a 1xx/2xx answering from behind NAT; an in-dialog request whose Request-URI carries the alias goes to that address with the parameter removed',
        },
        test: {
          type: 'integer',
          minimum: 0,
          maximum: 31,
          default: 19,
          description: 'nat_uac_test bits that detect a request from behind NAT: 1 Contact is a private address, 2 Via address is not the source address, 16 Via port is not the source port',
        },
      },
    },
    transactions: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxActive: { type: 'integer', minimum: 100, default: 1000000, description: 'Live transactions above this are refused with 503 (flood protection)' },
      },
    },
    tcp: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        idleTimeoutMs: { type: 'integer', minimum: 1000, default: 3605000, 'x-unit': 'ms', description: 'Idle TCP connections close after this (Kamailio tcp_connection_lifetime; above the longest registration)' },
        connectTimeoutMs: { type: 'integer', minimum: 100, default: 5000, 'x-unit': 'ms', description: 'Outgoing TCP connect timeout' },
        maxConnections: { type: 'integer', minimum: 1, default: 4096, description: 'Most simultaneous TCP connections' },
      },
    },
    udp: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        recvBufferBytes: { type: 'integer', minimum: 0, default: 4194304, 'x-unit': 'bytes', description: 'SO_RCVBUF asked for UDP sockets (the kernel may cap it at net.core.rmem_max); 0 keeps the default' },
      },
    },
    dialogs: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: "Calls tracked by the edge that routed their initial INVITE (Kamailio's dialog module): dialog started/answered/ended events for CDRs and call limits",
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Track calls and publish dialog events (needs events.enabled); the call id rides on the Record-Route entry (;did=)' },
        maxDurationS: { type: 'integer', minimum: 60, maximum: 604800, default: 43200, 'x-unit': 's', description: "A call with no BYE this long after its answer is ended (hangup timeout; Kamailio dialog default_timeout). Keep it equal to the router's calls.maxDurationS" },
      },
    },
    media: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Media anchoring through media-control (rtpengine, docs/media.md): calls whose route answer carries `media` get their SDP rewritten (offer, answer, delete on sipmesh.media.v1.<method>)',
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Anchor the calls whose route answer has `media`; false: the route answer\'s `media` is ignored and SDP goes through unchanged' },
        timeoutMs: { type: 'integer', minimum: 50, maximum: 10000, default: 2000, 'x-unit': 'ms', description: 'Longest wait for media-control to answer one command; keep it below timers.frTimerMs' },
        onUnavailable: {
          enum: ['fail', 'pass'],
          default: 'fail',
          description:
            'An offer that cannot be made (media-control unavailable, no responders, timeout): fail answers the INVITE 503 Service Unavailable; pass relays the SDP unchanged (the call is not anchored), logs a warning and counts it (media_bypassed). An SDP rtpengine refuses is 488 Not Acceptable Here either way; a failed answer always relays the SDP unchanged (logged as an error in fail mode)',
        },
      },
    },
    events: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Publish transaction events to the event stream' },
        registrarTransactions: {
          type: 'boolean',
          default: false,
          description:
            'Also publish the transactions of REGISTERs the registrar answers (and the challenges the edge gives for it). Off: registrations are on the stream as the registrar\'s registration events, and accounting stores no REGISTER (the registrar asks for none), so these events only doubled the stream\'s volume and cost the edge about a tenth of its CPU per registration',
        },
        batch: eventBatchConfigSection(),
        spool: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description:
            'Distributed mode: while the event stream is unreachable, event messages wait in append-only files on disk and are replayed in order, with their message ids, once it is back; a spool left by a stopped or crashed edge is replayed at its next start. Embedded mode has no spool (its bus does not fail)',
          properties: {
            enabled: { type: 'boolean', default: true, description: 'Spool through NATS outages; false: a message the stream does not take is counted (events_failed) and lost' },
            dir: {
              type: 'string',
              default: '',
              description:
                'Spool directory, one per running edge (created when missing). Empty: var/spool/<id> under the working directory (/app/var/spool/<id> in the container image: mount a volume there). Not the OS temp dir: it is often emptied at boot or private to one run of the service',
            },
            maxBytes: {
              type: 'integer',
              minimum: 1048576,
              default: 268435456,
              'x-unit': 'bytes',
              description: 'Disk the spool may use (plus messages waiting to be written); when full, new event messages are refused and counted in events_spool_dropped. Keep it well above batch.maxBytes',
            },
          },
        },
      },
    },
  },
} as const;

export type CodePatternValue = number | string;

export interface ListenerConfig {
  transport: 'udp' | 'tcp';
  ip: string;
  port: number;
  advertise?: string;
  name?: string;
}

export interface ReplyTemplate {
  code: number;
  reason: string;
  retryAfterS: number;
}

export interface EdgeConfig {
  id: string;
  listen: ListenerConfig[];
  domains: string[];
  sip: {
    maxMessageBytes: number;
    maxHeaderBytes: number;
    maxForwardsDefault: number;
    serverHeader: string;
    proxyRequireSupported: string[];
    convert503To500: boolean;
    unmatchedCancel: 'drop' | 'reply-481';
  };
  security: { scannerUserAgents: string[]; scannerAction: 'drop' | 'reply'; scannerReply: { code: number; reason: string } };
  timers: { t1Ms: number; t2Ms: number; t4Ms: number; frTimerMs: number; frInvTimerMs: number };
  route: {
    policy: string;
    settingsBucket: string;
    deadlineMs: number;
    fallbackPolicy: string;
    deadlineReply: ReplyTemplate;
    unavailableReply: ReplyTemplate;
    failoverCodes: CodePatternValue[];
    maxAttempts: number;
  };
  registrar: {
    enabled: boolean;
    relayPeers: string[];
    challenge: { enabled: boolean; secret: string; nonceLifetimeSec: number; algorithms: ('MD5' | 'SHA-256')[]; qop: 'auth' | 'none' };
  };
  nat: { contactAlias: boolean; test: number };
  transactions: { maxActive: number };
  tcp: { idleTimeoutMs: number; connectTimeoutMs: number; maxConnections: number };
  udp: { recvBufferBytes: number };
  dialogs: { enabled: boolean; maxDurationS: number };
  media: { enabled: boolean; timeoutMs: number; onUnavailable: 'fail' | 'pass' };
  events: { enabled: boolean; registrarTransactions: boolean; batch: EventBatchConfig; spool: { enabled: boolean; dir: string; maxBytes: number } };
}

/** Environment overrides (name → dotted config path). */
export const edgeEnvMap = {
  SIPMESH_EDGE_ID: 'id',
  SIPMESH_AUTH_SECRET: 'registrar.challenge.secret',
  SIPMESH_EDGE_REGISTER_CHALLENGE: 'registrar.challenge.enabled',
  SIPMESH_DOMAINS: 'domains',
  SIPMESH_ROUTE_POLICY: 'route.policy',
  SIPMESH_ROUTE_DEADLINE_MS: 'route.deadlineMs',
  SIPMESH_T1_MS: 'timers.t1Ms',
  SIPMESH_EVENT_SPOOL_DIR: 'events.spool.dir',
} as const;
