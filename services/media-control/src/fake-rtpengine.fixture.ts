/**
 * A fake rtpengine for unit tests: a UDP socket that speaks ng well enough for media-control
 * (ping, offer, answer, delete, query, list), keeps its calls, and can be told to go silent,
 * answer `load limit` or refuse with an error reason, so failover and health are tested
 * without the real daemon and without waiting for it.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decodeBencodeStrings, encodeBencode, type BencodeInput } from './ng/bencode.js';
import type { NgInstance } from './ng/ng-messages.js';

export type FakeMode = { kind: 'ok' } | { kind: 'silent' } | { kind: 'load-limit' } | { kind: 'error'; reason: string };

export interface FakeRtpengine {
  readonly instance: NgInstance;
  readonly key: string;
  /** Commands received, in order (retransmissions included). */
  readonly commands: { command: string; body: Record<string, unknown> }[];
  readonly calls: Map<string, Set<string>>;
  /** Mode for every command, or for one command only (`offer`, `ping`...). */
  mode: FakeMode;
  modes: Partial<Record<string, FakeMode>>;
  close(): Promise<void>;
}

export async function startFakeRtpengine(): Promise<FakeRtpengine> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  const fake: FakeRtpengine = {
    instance: { host: '127.0.0.1', port },
    key: `127.0.0.1:${port}`,
    commands: [],
    calls: new Map(),
    mode: { kind: 'ok' },
    modes: {},
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (datagram, from) => {
    const space = datagram.indexOf(0x20);
    const cookie = datagram.toString('latin1', 0, space);
    const body = decodeBencodeStrings(datagram.subarray(space + 1)) as Record<string, unknown>;
    const command = String(body['command']);
    fake.commands.push({ command, body });
    const reply = (r: BencodeInput): void => {
      socket.send(Buffer.concat([Buffer.from(`${cookie} `), encodeBencode(r)]), from.port, from.address);
    };
    const mode = fake.modes[command] ?? fake.mode;
    if (mode.kind === 'silent') return;
    if (mode.kind === 'load-limit') return reply({ result: 'load limit' });
    if (mode.kind === 'error') return reply({ result: 'error', 'error-reason': mode.reason });
    const callId = String(body['call-id']);
    const port0 = 30000 + fake.commands.length * 2;
    switch (command) {
      case 'ping':
        return reply({ result: 'pong' });
      case 'offer':
        fake.calls.set(callId, new Set([String(body['from-tag'])]));
        return reply({ result: 'ok', sdp: `v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio ${port0} RTP/AVP 0\r\n` });
      case 'answer': {
        const call = fake.calls.get(callId);
        if (call === undefined) return reply({ result: 'error', 'error-reason': 'Unknown call-id' });
        call.add(String(body['to-tag']));
        return reply({ result: 'ok', sdp: `v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio ${port0} RTP/AVP 0\r\n` });
      }
      case 'delete': {
        if (!fake.calls.has(callId)) return reply({ result: 'ok', warning: "Call-ID not found or tags didn't match" });
        if (body['to-tag'] === undefined) fake.calls.delete(callId);
        else {
          // As rtpengine: the call goes with its last branch.
          const call = fake.calls.get(callId);
          call?.delete(String(body['to-tag']));
          if (call !== undefined && call.size <= 1) fake.calls.delete(callId);
        }
        return reply({ result: 'ok', created: 1 });
      }
      case 'query': {
        const call = fake.calls.get(callId);
        if (call === undefined) return reply({ result: 'error', 'error-reason': 'Unknown call-id' });
        return reply({ result: 'ok', tags: Object.fromEntries([...call].map((t) => [t, { tag: t }])) });
      }
      case 'list':
        return reply({ result: 'ok', calls: [...fake.calls.keys()] });
      default:
        return reply({ result: 'error', 'error-reason': 'Unrecognized command' });
    }
  });
  return fake;
}
