/**
 * rtpengine's ng control protocol over UDP: `<cookie> <bencode dictionary>` each way.
 *
 *   const ng = new NgClient({ timeoutMs: 2000 });
 *   const { sdp } = await ng.offer({ host: '127.0.0.1', port: 2223 }, { 'call-id': c, 'from-tag': t, sdp: callerSdp });
 *   await ng.close();
 *
 * Design: UDP loses datagrams, and rtpengine's ng socket drops bursts (measured with rtpengine
 * 10.5: 200 requests at once can overflow its receive buffer, and the lost ones get no reply at
 * all). So a request is retransmitted, as the same bytes with the same cookie, every
 * `retransmitMs` until its reply or `timeoutMs`: rtpengine keeps the replies of recent cookies
 * and answers a repeated cookie from that cache without running the command again, so a
 * retried offer does not allocate a second set of ports. Cookies are a
 * random per-client prefix and a counter: short, and unique across media-control processes
 * talking to one rtpengine (its cache is keyed by the cookie alone). Requests in flight are
 * capped per instance, the rest wait in a FIFO queue, so a burst is paced instead of piling
 * into rtpengine's buffer. The timeout runs from the call, queue time included: it is what the
 * caller waits at most. A reply is matched by cookie (and source); anything else (the second
 * answer to a retransmission, a reply after the timeout, garbage) is counted and dropped,
 * never thrown and never logged here (`onDroppedReply` lets the service log). One socket,
 * bound on first use, serves every instance; it does not keep the process alive while idle.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { bencodeToText, decodeBencode, encodeBencode, isBencodeDict, type BencodeDict } from './bencode.js';
import { NgError, NgErrorCode } from './ng-error.js';
import type {
  NgAnswerParams,
  NgArgs,
  NgDeleteParams,
  NgInstance,
  NgListParams,
  NgOfferParams,
  NgQueryParams,
  NgQueryReply,
  NgReply,
  NgSdpReply,
} from './ng-messages.js';

export interface NgClientOptions {
  /** Resend an unanswered request this often. Default 250 ms. */
  readonly retransmitMs?: number;
  /** Give up this long after request() was called. Default 2000 ms. */
  readonly timeoutMs?: number;
  /** Requests sent and not yet answered, per instance; more wait in a queue. Default 64. */
  readonly maxInFlightPerInstance?: number;
  /** Requests waiting per instance before request() fails with NG_QUEUE_FULL. Default 10,000. */
  readonly maxQueuedPerInstance?: number;
  /** Default udp4; udp6 to reach rtpengines by IPv6 address. */
  readonly socketType?: 'udp4' | 'udp6';
  readonly localAddress?: string;
  /** Default 0 (any free port). */
  readonly localPort?: number;
  /** SO_RCVBUF for replies (a burst of offers brings a burst of SDPs back). Default 1 MiB. */
  readonly receiveBufferBytes?: number;
  /** Called for every reply that is dropped, so the service can log it. */
  readonly onDroppedReply?: (drop: NgDroppedReply) => void;
}

export interface NgRequestOptions {
  readonly timeoutMs?: number;
  readonly retransmitMs?: number;
  readonly signal?: AbortSignal;
}

export const NgDropReason = {
  /** Not `<cookie> <bencode dictionary with a result>`. */
  malformed: 'malformed',
  /** No request waits for the cookie: a second answer to a retransmission, a late or a stray reply. */
  unmatched: 'unmatched',
  /** The cookie is waited for, but the datagram did not come from that request's instance. */
  wrongSource: 'wrong-source',
} as const;
export type NgDropReason = (typeof NgDropReason)[keyof typeof NgDropReason];

export interface NgDroppedReply {
  readonly reason: NgDropReason;
  /** "address:port" the datagram came from. */
  readonly from: string;
  readonly detail: string;
}

export interface NgClientStats {
  /** Requests accepted by request(). */
  readonly requests: number;
  /** Datagrams sent, retransmissions included. */
  readonly sent: number;
  readonly retransmits: number;
  /** Replies matched to a request (`error` replies included). */
  readonly replies: number;
  readonly errorReplies: number;
  readonly timeouts: number;
  readonly malformedReplies: number;
  readonly unmatchedReplies: number;
  readonly wrongSourceReplies: number;
  readonly inFlight: number;
  readonly queued: number;
}

export const NG_DEFAULT_RETRANSMIT_MS = 250;
export const NG_DEFAULT_TIMEOUT_MS = 2_000;
export const NG_DEFAULT_MAX_IN_FLIGHT = 64;
export const NG_DEFAULT_MAX_QUEUED = 10_000;
/** The largest UDP payload over IPv4. */
export const NG_MAX_DATAGRAM_BYTES = 65_507;
const DEFAULT_RECEIVE_BUFFER_BYTES = 1024 * 1024;
/** Cookies are short; a datagram whose first space is further in has none. */
const MAX_COOKIE_BYTES = 64;
const SPACE = 0x20;

type RequestState = 'queued' | 'sent' | 'done';

interface PendingRequest {
  readonly cookie: string;
  readonly lane: Lane;
  readonly command: string;
  readonly datagram: Buffer;
  /** performance.now() by which the request is settled. */
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly retransmitMs: number;
  state: RequestState;
  sends: number;
  /** performance.now() of the first send; retransmissions follow at multiples of retransmitMs. */
  firstSentAt: number;
  /** The pending timer is the deadline, not a retransmission. */
  timerIsDeadline: boolean;
  lastSendError: Error | undefined;
  timer: NodeJS.Timeout | undefined;
  readonly resolve: (reply: NgReply) => void;
  readonly reject: (error: NgError) => void;
  detachAbort: (() => void) | undefined;
}

/** One rtpengine's share of the client: its in-flight count and its waiting requests. */
interface Lane {
  readonly key: string;
  readonly instance: NgInstance;
  /** The address replies must come from; undefined for a host name (resolved per send). */
  readonly replyAddress: string | undefined;
  inFlight: number;
  /** FIFO from `head`; a slot is cleared when its request leaves, so it can be collected. */
  readonly queue: (PendingRequest | undefined)[];
  head: number;
  queued: number;
}

export function ngInstanceKey(instance: NgInstance): string {
  return isIP(instance.host) === 6 ? `[${instance.host}]:${instance.port}` : `${instance.host}:${instance.port}`;
}

/** Finite (setTimeout turns Infinity into 1 ms) and positive (0 would resend in a busy loop). */
function isPositiveDuration(value: number): boolean {
  return Number.isFinite(value) && value > 0;
}

function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

export class NgClient {
  private readonly retransmitMs: number;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly options: NgClientOptions;
  private readonly cookiePrefix = randomBytes(6).toString('base64url');
  private sequence = 0;
  private readonly lanes = new Map<string, Lane>();
  /** Requests sent and waiting for their reply, by cookie. */
  private readonly waiting = new Map<string, PendingRequest>();
  private socket: Socket | undefined;
  private binding: Promise<void> | undefined;
  private closed = false;
  private pumping = false;
  private readonly counters = {
    requests: 0,
    sent: 0,
    retransmits: 0,
    replies: 0,
    errorReplies: 0,
    timeouts: 0,
    malformedReplies: 0,
    unmatchedReplies: 0,
    wrongSourceReplies: 0,
  };

  constructor(options: NgClientOptions = {}) {
    this.options = options;
    this.retransmitMs = options.retransmitMs ?? NG_DEFAULT_RETRANSMIT_MS;
    this.timeoutMs = options.timeoutMs ?? NG_DEFAULT_TIMEOUT_MS;
    this.maxInFlight = options.maxInFlightPerInstance ?? NG_DEFAULT_MAX_IN_FLIGHT;
    this.maxQueued = options.maxQueuedPerInstance ?? NG_DEFAULT_MAX_QUEUED;
    for (const [name, value] of Object.entries({ retransmitMs: this.retransmitMs, timeoutMs: this.timeoutMs, maxInFlightPerInstance: this.maxInFlight })) {
      if (!isPositiveDuration(value)) throw new RangeError(`NgClient: ${name} must be positive and finite, got ${value}`);
    }
  }

  // ------------------------------------------------------------ typed commands

  /** `ping` -> `pong`; any other result is NG_BAD_REPLY. */
  async ping(instance: NgInstance, options?: NgRequestOptions): Promise<NgReply> {
    const reply = await this.request(instance, 'ping', {}, options);
    if (reply.result !== 'pong') throw this.badReply(instance, 'ping', `result "${reply.result}" instead of "pong"`);
    return reply;
  }

  /** `offer`: the caller's SDP in, the SDP for the callee out. */
  offer(instance: NgInstance, params: NgOfferParams, options?: NgRequestOptions): Promise<NgSdpReply> {
    return this.sdpCommand(instance, 'offer', params, options);
  }

  /** `answer`: the callee's SDP in, the SDP for the caller out. */
  answer(instance: NgInstance, params: NgAnswerParams, options?: NgRequestOptions): Promise<NgSdpReply> {
    return this.sdpCommand(instance, 'answer', params, options);
  }

  /** `delete`: the reply carries the call's final statistics. */
  delete(instance: NgInstance, params: NgDeleteParams, options?: NgRequestOptions): Promise<NgReply> {
    return this.request(instance, 'delete', params, options);
  }

  async query(instance: NgInstance, params: NgQueryParams, options?: NgRequestOptions): Promise<NgQueryReply> {
    const reply = await this.request(instance, 'query', params, options);
    const tags = reply['tags'];
    if (tags === undefined || typeof tags !== 'object' || Array.isArray(tags)) throw this.badReply(instance, 'query', 'no "tags" dictionary');
    return { ...reply, tags };
  }

  /** `list`: the Call-IDs rtpengine holds (at most `limit`, rtpengine's default 32). */
  async list(instance: NgInstance, params: NgListParams = {}, options?: NgRequestOptions): Promise<string[]> {
    const reply = await this.request(instance, 'list', params, options);
    const calls = reply['calls'];
    if (!Array.isArray(calls) || !calls.every((c): c is string => typeof c === 'string')) {
      throw this.badReply(instance, 'list', 'no "calls" list of strings');
    }
    return calls;
  }

  private async sdpCommand(instance: NgInstance, command: string, params: NgArgs, options: NgRequestOptions | undefined): Promise<NgSdpReply> {
    const reply = await this.request(instance, command, params, options);
    const sdp = reply['sdp'];
    if (typeof sdp !== 'string') throw this.badReply(instance, command, 'no "sdp" string');
    return { ...reply, sdp };
  }

  private badReply(instance: NgInstance, command: string, what: string): NgError {
    const where = ngInstanceKey(instance);
    return new NgError(NgErrorCode.badReply, `rtpengine ${where} answered '${command}' with ${what}`, { instance: where, command });
  }

  // ------------------------------------------------------------ requests

  /**
   * Sends `command` with `args` and resolves with the reply (strings decoded as UTF-8).
   * Rejects with an NgError: NG_ERROR_REPLY (with `errorReason`), NG_LOAD_LIMIT, NG_TIMEOUT, ...
   */
  request(instance: NgInstance, command: string, args: NgArgs, options: NgRequestOptions = {}): Promise<NgReply> {
    const lane = this.laneFor(instance);
    const fail = (code: NgErrorCode, message: string, cause?: unknown): Promise<never> =>
      Promise.reject(new NgError(code, message, { instance: lane.key, command, cause }));
    if (this.closed) return fail(NgErrorCode.closed, `ng client closed: '${command}' to ${lane.key} not sent`);
    if (options.signal?.aborted === true) return fail(NgErrorCode.aborted, `'${command}' to ${lane.key} aborted before it was sent`, options.signal.reason);
    if (lane.queued >= this.maxQueued) return fail(NgErrorCode.queueFull, `${lane.queued} requests already queued for ${lane.key}: '${command}' refused`);
    const cookie = `${this.cookiePrefix}${(this.sequence++).toString(36)}`;
    let datagram: Buffer;
    try {
      datagram = Buffer.concat([Buffer.from(`${cookie} `, 'latin1'), encodeBencode({ ...args, command })]);
    } catch (error) {
      return fail(NgErrorCode.invalidRequest, `'${command}' to ${lane.key}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    if (datagram.length > NG_MAX_DATAGRAM_BYTES) {
      return fail(NgErrorCode.requestTooLarge, `'${command}' to ${lane.key} is ${datagram.length} bytes, over one datagram (${NG_MAX_DATAGRAM_BYTES})`);
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const retransmitMs = options.retransmitMs ?? this.retransmitMs;
    if (!isPositiveDuration(timeoutMs) || !isPositiveDuration(retransmitMs)) {
      return fail(NgErrorCode.invalidRequest, `'${command}' to ${lane.key}: timeoutMs and retransmitMs must be positive and finite`);
    }
    this.counters.requests++;
    return new Promise<NgReply>((resolve, reject) => {
      const request: PendingRequest = {
        cookie,
        lane,
        command,
        datagram,
        deadline: performance.now() + timeoutMs,
        timeoutMs,
        retransmitMs,
        state: 'queued',
        sends: 0,
        firstSentAt: 0,
        timerIsDeadline: true,
        lastSendError: undefined,
        timer: undefined,
        resolve,
        reject,
        detachAbort: undefined,
      };
      const signal = options.signal;
      if (signal !== undefined) {
        const onAbort = (): void =>
          this.finish(request, new NgError(NgErrorCode.aborted, `'${command}' to ${lane.key} aborted`, { instance: lane.key, command, sends: request.sends, cause: signal.reason }));
        signal.addEventListener('abort', onAbort, { once: true });
        request.detachAbort = () => signal.removeEventListener('abort', onAbort);
      }
      // Until it is sent, the only timer is the deadline.
      request.timer = setTimeout(() => this.onTimer(request), timeoutMs);
      lane.queue.push(request);
      lane.queued++;
      this.socket?.ref();
      this.pump(lane);
    });
  }

  private laneFor(instance: NgInstance): Lane {
    const key = ngInstanceKey(instance);
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      const replyAddress = isIP(instance.host) === 0 ? undefined : normalizeAddress(instance.host);
      lane = { key, instance: { host: instance.host, port: instance.port }, replyAddress, inFlight: 0, queue: [], head: 0, queued: 0 };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** Sends queued requests while the lane has room. */
  private pump(lane: Lane): void {
    if (this.socket === undefined) {
      void this.bind();
      return;
    }
    // finish() pumps too; inside this loop the loop itself goes on (no recursion per request).
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpLane(lane);
    } finally {
      this.pumping = false;
    }
  }

  private pumpLane(lane: Lane): void {
    while (lane.inFlight < this.maxInFlight && lane.head < lane.queue.length) {
      const request = lane.queue[lane.head];
      lane.queue[lane.head] = undefined;
      lane.head++;
      if (request?.state !== 'queued') continue; // timed out or aborted while waiting
      if (performance.now() >= request.deadline - 1) {
        // Its time ran out while it waited (its deadline timer is due): never sent.
        this.onTimer(request);
        continue;
      }
      lane.queued--;
      lane.inFlight++;
      request.state = 'sent';
      this.waiting.set(request.cookie, request);
      clearTimeout(request.timer);
      this.transmit(request);
    }
    if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
      lane.queue.splice(0, lane.head);
      lane.head = 0;
    }
  }

  private transmit(request: PendingRequest): void {
    const socket = this.socket;
    if (socket === undefined) return;
    if (request.sends > 0) this.counters.retransmits++;
    request.sends++;
    this.counters.sent++;
    const { host, port } = request.lane.instance;
    socket.send(request.datagram, port, host, (error) => {
      // A failed send is retried like a lost datagram; the timeout error carries the last one.
      if (error !== null) request.lastSendError = error;
    });
    // Sends at first, first + R, first + 2R, ... strictly before the deadline (a send due at the
    // deadline could not be answered in time): timeoutMs / retransmitMs sends, whatever the
    // timers' jitter. The decision is made here, not when the timer fires.
    const now = performance.now();
    if (request.sends === 1) request.firstSentAt = now;
    const next = request.firstSentAt + request.sends * request.retransmitMs;
    request.timerIsDeadline = next >= request.deadline - 1;
    const at = request.timerIsDeadline ? request.deadline : next;
    request.timer = setTimeout(() => this.onTimer(request), Math.max(0, at - now));
  }

  private onTimer(request: PendingRequest): void {
    if (request.state === 'done') return;
    if (request.state === 'sent' && !request.timerIsDeadline) {
      this.transmit(request);
      return;
    }
    this.counters.timeouts++;
    const { key } = request.lane;
    const message =
      request.state === 'queued'
        ? `'${request.command}' to rtpengine ${key} still queued after ${request.timeoutMs} ms (${this.maxInFlight} requests in flight)`
        : `rtpengine ${key} did not answer '${request.command}' within ${request.timeoutMs} ms (${request.sends} sends)`;
    this.finish(request, new NgError(NgErrorCode.timeout, message, { instance: key, command: request.command, sends: request.sends, cause: request.lastSendError }));
  }

  /** Settles a request once, frees its place and lets the next one go. */
  private finish(request: PendingRequest, outcome: NgReply | NgError): void {
    if (request.state === 'done') return;
    const { lane } = request;
    if (request.state === 'sent') {
      lane.inFlight--;
      this.waiting.delete(request.cookie);
    } else {
      lane.queued--;
    }
    request.state = 'done';
    clearTimeout(request.timer);
    request.detachAbort?.();
    if (outcome instanceof NgError) request.reject(outcome);
    else request.resolve(outcome);
    if (lane.head < lane.queue.length && !this.closed && this.socket !== undefined) this.pump(lane);
    if (this.waiting.size === 0 && this.queuedTotal() === 0) this.socket?.unref();
  }

  private queuedTotal(): number {
    let total = 0;
    for (const lane of this.lanes.values()) total += lane.queued;
    return total;
  }

  // ------------------------------------------------------------ replies

  private onMessage(message: Buffer, from: RemoteInfo): void {
    const space = message.subarray(0, MAX_COOKIE_BYTES + 1).indexOf(SPACE);
    if (space <= 0) {
      this.drop(NgDropReason.malformed, from, 'no "<cookie> " prefix');
      return;
    }
    const cookie = message.toString('latin1', 0, space);
    const request = this.waiting.get(cookie);
    if (request === undefined) {
      this.drop(NgDropReason.unmatched, from, `cookie ${JSON.stringify(cookie)}`);
      return;
    }
    const { lane } = request;
    if (from.port !== lane.instance.port || (lane.replyAddress !== undefined && normalizeAddress(from.address) !== lane.replyAddress)) {
      this.drop(NgDropReason.wrongSource, from, `cookie ${cookie} belongs to ${lane.key}`);
      return;
    }
    let body: BencodeDict;
    try {
      const decoded = decodeBencode(message.subarray(space + 1), { maxBytes: NG_MAX_DATAGRAM_BYTES });
      if (!isBencodeDict(decoded)) throw new Error('not a dictionary');
      body = decoded;
    } catch (error) {
      this.drop(NgDropReason.malformed, from, `cookie ${cookie}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const result = body['result'];
    if (!Buffer.isBuffer(result)) {
      this.drop(NgDropReason.malformed, from, `cookie ${cookie}: no "result" string`);
      return;
    }
    this.counters.replies++;
    // A dictionary in, a dictionary out: bencodeToText keeps the shape.
    const reply = bencodeToText(body) as unknown as NgReply;
    const command = request.command;
    if (reply.result === 'error' || reply.result === 'load limit') {
      this.counters.errorReplies++;
      const reason = typeof reply['error-reason'] === 'string' ? reply['error-reason'] : undefined;
      const error =
        reply.result === 'error'
          ? new NgError(NgErrorCode.errorReply, `rtpengine ${lane.key} refused '${command}': ${reason ?? '(no error-reason)'}`, {
              instance: lane.key,
              command,
              sends: request.sends,
              ...(reason === undefined ? {} : { errorReason: reason }),
            })
          : new NgError(NgErrorCode.loadLimit, `rtpengine ${lane.key} is at its load limit: '${command}' refused`, { instance: lane.key, command, sends: request.sends });
      this.finish(request, error);
      return;
    }
    this.finish(request, reply);
  }

  private drop(reason: NgDropReason, from: RemoteInfo, detail: string): void {
    if (reason === NgDropReason.malformed) this.counters.malformedReplies++;
    else if (reason === NgDropReason.unmatched) this.counters.unmatchedReplies++;
    else this.counters.wrongSourceReplies++;
    this.options.onDroppedReply?.({ reason, from: `${from.address}:${from.port}`, detail });
  }

  // ------------------------------------------------------------ socket

  private bind(): Promise<void> {
    if (this.binding !== undefined) return this.binding;
    const socket = createSocket({ type: this.options.socketType ?? 'udp4', recvBufferSize: this.options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES });
    this.binding = new Promise<void>((resolve) => {
      const onBindError = (error: Error): void => {
        this.binding = undefined;
        socket.close();
        this.failAll(NgErrorCode.socketError, `ng client socket: ${error.message}`, error);
        resolve();
      };
      socket.once('error', onBindError);
      socket.bind({ port: this.options.localPort ?? 0, ...(this.options.localAddress === undefined ? {} : { address: this.options.localAddress }) }, () => {
        socket.off('error', onBindError);
        // After the bind, errors belong to single sends (their callbacks have them).
        socket.on('error', () => undefined);
        socket.on('message', (message, from) => this.onMessage(message, from));
        if (this.closed) {
          socket.close();
          resolve();
          return;
        }
        this.socket = socket;
        for (const lane of this.lanes.values()) this.pump(lane);
        resolve();
      });
    });
    return this.binding;
  }

  /** The local address replies come to (after the first request). */
  address(): { address: string; port: number } | undefined {
    return this.socket?.address();
  }

  stats(): NgClientStats {
    let inFlight = 0;
    for (const lane of this.lanes.values()) inFlight += lane.inFlight;
    return { ...this.counters, inFlight, queued: this.queuedTotal() };
  }

  private failAll(code: NgErrorCode, message: string, cause?: unknown): void {
    for (const lane of this.lanes.values()) {
      for (let i = lane.head; i < lane.queue.length; i++) {
        const request = lane.queue[i];
        if (request !== undefined) this.finish(request, new NgError(code, message, { instance: lane.key, command: request.command, sends: request.sends, cause }));
      }
    }
    for (const request of [...this.waiting.values()]) {
      this.finish(request, new NgError(code, message, { instance: request.lane.key, command: request.command, sends: request.sends, cause }));
    }
  }

  /** Fails every pending request with NG_CLOSED and releases the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(NgErrorCode.closed, 'ng client closed');
    await this.binding;
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
