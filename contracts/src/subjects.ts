/**
 * Subject naming scheme of the bus contract, version 1.
 *
 * Every subject that carries a versioned message names the major version (`v1`) right after the
 * area, so a v2 contract can run beside v1 during an upgrade. Edge-addressed subjects carry the
 * edge id instead: an edge id is one subject token (letters, digits, `_`, `-`).
 */

export const CONTRACT_VERSION = '1.0';
export const CONTRACT_MAJOR = 1;

/** JetStream stream that holds every event (`sipmesh.events.v1.>`). */
export const EVENTS_STREAM = 'SIPMESH_EVENTS';

/** Queue group that router instances join, so each route request reaches exactly one of them. */
export const ROUTER_QUEUE = 'sipmesh-router';

/** Queue group that registrar instances join (register, lookup, auth). */
export const REGISTRAR_QUEUE = 'sipmesh-registrar';

/** Queue group that media-control instances join (offer, answer, delete). */
export const MEDIA_QUEUE = 'sipmesh-media';

/** Queue group of the media-control admin command subjects. */
export const MEDIA_ADMIN_QUEUE = 'sipmesh-media-admin';

/** Queue group of the routers' admin command subjects. */
export const ROUTER_ADMIN_QUEUE = 'sipmesh-router-admin';

/** Queue group of the registrars' admin command subjects. */
export const REGISTRAR_ADMIN_QUEUE = 'sipmesh-registrar-admin';

/** Queue group that edges join for actions any edge can perform (`sipmesh.edges.v1.rpc.<action>`). */
export const EDGE_QUEUE = 'sipmesh-edge';

/** Policy name used when nothing more specific is configured. */
export const DEFAULT_POLICY = 'default';

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** True when `s` can be used as one subject token (edge ids, policy names). */
export function isSubjectToken(s: string): boolean {
  return TOKEN.test(s);
}

export const subjects = {
  /** Route requests for one policy; routers answer in queue group ROUTER_QUEUE. */
  route: (policy: string): string => `sipmesh.route.v1.${policy}`,
  /** All route subjects (for a router that serves every policy). */
  routeAll: 'sipmesh.route.v1.*',
  /** Where any process may publish the answer to a suspended transaction of this edge (id in the body). */
  continue: (edgeId: string): string => `sipmesh.edge.${edgeId}.continue`,
  /**
   * The reply subject the edge puts on a route request: the transaction id's index and label are the
   * last two tokens, so even a body-less NATS "no responders" status names its transaction.
   */
  continueFor: (txId: string): string => {
    const [edgeId, index, label] = txId.split('.');
    return `sipmesh.edge.${edgeId ?? ''}.continue.${index ?? ''}.${label ?? ''}`;
  },
  /** Wildcard the edge subscribes to for per-transaction replies. */
  continueWildcard: (edgeId: string): string => `sipmesh.edge.${edgeId}.continue.>`,
  /** Edge-side actions offered to services (OPTIONS probe, send request, NAT ping). */
  edgeRpc: (edgeId: string, action: string): string => `sipmesh.edge.${edgeId}.rpc.${action}`,
  /** The same actions on whichever edge takes it (queue group EDGE_QUEUE). */
  anyEdgeRpc: (action: string): string => `sipmesh.edges.v1.rpc.${action}`,
  /** REGISTER requests (route requests of method REGISTER for our domains), answered by a registrar like a route request. */
  register: 'sipmesh.registrar.v1.register',
  /** Location lookup: AoR -> contacts in forking order. */
  lookup: 'sipmesh.registrar.v1.lookup',
  /** Digest check of a non-REGISTER request's credentials. */
  auth: 'sipmesh.registrar.v1.auth',
  /** A registrar admin command (`ul.dump`, `ul.lookup`, `subscriber.add`...), answered by any one registrar. */
  registrarAdmin: (command: string): string => `sipmesh.admin.v1.registrar.${command}`,
  /** The same command for one registrar instance. */
  registrarInstanceAdmin: (registrarId: string, command: string): string => `sipmesh.admin.v1.registrars.${registrarId}.${command}`,
  /** Announced after a subscriber was added, removed or changed through one registrar: every registrar reloads its subscriber cache. */
  subscribersChanged: 'sipmesh.registrar.v1.subscribers.changed',
  /** A router admin command (kamcmd-style name, e.g. `dispatcher.list`), answered by any one router (queue group ROUTER_ADMIN_QUEUE). */
  routerAdmin: (command: string): string => `sipmesh.admin.v1.router.${command}`,
  /** The same command for one router instance. */
  routerInstanceAdmin: (routerId: string, command: string): string => `sipmesh.admin.v1.routers.${routerId}.${command}`,
  /** A media command (`offer`, `answer`, `delete`) for media-control (queue group MEDIA_QUEUE). */
  media: (method: 'offer' | 'answer' | 'delete'): string => `sipmesh.media.v1.${method}`,
  /** A media-control admin command (`rtpengine.show`, `media.sessions`), answered by any one media-control. */
  mediaAdmin: (command: string): string => `sipmesh.admin.v1.media.${command}`,
  /** The same command for one media-control instance (health is each process's own view). */
  mediaInstanceAdmin: (mediaId: string, command: string): string => `sipmesh.admin.v1.medias.${mediaId}.${command}`,
  events: {
    all: 'sipmesh.events.v1.>',
    transactionCompleted: 'sipmesh.events.v1.transaction.completed',
    dispatcherState: 'sipmesh.events.v1.dispatcher.state',
    registration: 'sipmesh.events.v1.registration',
    /**
     * A call's dialog events (`started`, `answered`, `ended`), and `reset`: an edge started, the
     * calls it tracked in an earlier run are over.
     */
    dialog: (kind: 'started' | 'answered' | 'ended' | 'reset'): string => `sipmesh.events.v1.dialog.${kind}`,
    /** Every dialog event (one consumer filter). */
    dialogAll: 'sipmesh.events.v1.dialog.*',
  },
} as const;

/** Builds a transaction id `<edge-id>.<index>.<label>` (Kamailio's $T(id_index)/$T(id_label) idiom). */
export function formatTxId(edgeId: string, index: number, label: number): string {
  return `${edgeId}.${index}.${label}`;
}

/** Splits a transaction id; undefined when it is not of the form `<edge-id>.<index>.<label>`. */
export function parseTxId(id: string): { edgeId: string; index: number; label: number } | undefined {
  const a = id.indexOf('.');
  const b = id.indexOf('.', a + 1);
  if (a <= 0 || b < 0 || id.indexOf('.', b + 1) !== -1) return undefined;
  const edgeId = id.slice(0, a);
  const index = Number(id.slice(a + 1, b));
  const label = Number(id.slice(b + 1));
  if (!isSubjectToken(edgeId) || !Number.isSafeInteger(index) || !Number.isSafeInteger(label) || index < 0 || label < 0) return undefined;
  return { edgeId, index, label };
}
