/**
 * Infrastructure the end-to-end tests need, found or explained.
 *
 *   describe('registrar over NATS', async () => {
 *     if (!(await requireInfra('nats'))) return;   // registers nothing more when missing
 *     beforeAll(...); test(...);
 *   });
 *
 *   requireInfra(name, opts?)  'nats' | 'redis' | 'postgres' | 'sipp' | 'go' | 'rtpengine'
 *     available                 -> true
 *     missing                   -> false, and a skipped test "needs <name>: <why>" in the
 *                                  current suite, so the report says why nothing ran
 *     missing and SIPMESH_REQUIRE_INFRA=1 (or opts.strict)
 *                               -> throws: the file fails with the reason (CI, where
 *                                  the infrastructure must be there)
 *   detectInfra(name, opts?)    -> { name, available, detail } without touching the suite
 *   skipSuite(reason)           the skipped placeholder test on its own
 *   detectBinary(cmd, args, marker)  runs e.g. `sipp -v`, finds the version line
 *
 * Detection speaks each protocol's first words instead of only connecting:
 * NATS greets with INFO, Redis answers PING, PostgreSQL answers an SSLRequest
 * with one byte; so a different program on the port does not count.
 * Ports and their helpers (freePort, waitForUdpPort, ...) are re-exported
 * from ports.ts.
 */
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { test } from 'vitest';

export {
  TEST_PORT_RANGE,
  freePort,
  freeTcpPort,
  freeUdpPort,
  releasePorts,
  waitForTcpPort,
  waitForUdpPort,
  type FreePortOptions,
  type PortRange,
  type PortTransport,
  type WaitForPortOptions,
} from './ports.js';

export type InfraName = 'nats' | 'redis' | 'postgres' | 'sipp' | 'go' | 'rtpengine';

export interface InfraStatus {
  readonly name: string;
  readonly available: boolean;
  /** What was found ("NATS 2.10.x at 127.0.0.1:4222") or why not ("connection refused ..."). */
  readonly detail: string;
}

export interface InfraOptions {
  readonly host?: string;
  readonly port?: number;
  readonly timeoutMs?: number;
  /** Fail instead of skip when missing; default: SIPMESH_REQUIRE_INFRA=1. */
  readonly strict?: boolean;
}

export const INFRA_DEFAULT_PORTS: Readonly<Record<Exclude<InfraName, 'sipp' | 'go' | 'rtpengine'>, number>> = Object.freeze({
  nats: 4222,
  redis: 6379,
  postgres: 5432,
});

const DEFAULT_HOST = '127.0.0.1';
/** Where Debian's Go library packages install their sources (GOPATH mode). */
export const GO_PATH = '/usr/share/gocode';
const DEFAULT_TIMEOUT_MS = 1_500;
/** PostgreSQL SSLRequest: length 8, code 80877103 (protocol docs, "SSL Session Encryption"). */
const PG_SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** The one place the strict switch is read. */
export function infraIsRequired(): boolean {
  return process.env['SIPMESH_REQUIRE_INFRA'] === '1';
}

/**
 * Connects, optionally writes a greeting, and hands every received chunk to
 * `judge` until it returns a verdict (a string: available with that detail;
 * an Error: not available).
 */
function probeTcp(
  host: string,
  port: number,
  timeoutMs: number,
  greeting: Buffer | undefined,
  judge: (received: Buffer) => string | Error | undefined,
): Promise<{ available: boolean; detail: string }> {
  return new Promise((resolve) => {
    const where = `${host}:${port}`;
    let received = Buffer.alloc(0);
    const socket = createConnection({ host, port });
    const finish = (available: boolean, detail: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ available, detail });
    };
    const timer = setTimeout(() => finish(false, `no answer from ${where} within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => {
      if (greeting !== undefined) socket.write(greeting);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const verdict = judge(received);
      if (verdict instanceof Error) finish(false, `${where}: ${verdict.message}`);
      else if (verdict !== undefined) finish(true, `${verdict} at ${where}`);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => finish(false, `${where}: ${error.code ?? error.message}`));
    socket.once('close', () => finish(false, `${where} closed the connection without a valid greeting`));
  });
}

function judgeNats(received: Buffer): string | Error | undefined {
  const text = received.toString('utf8');
  if (!text.includes('\r\n')) return undefined;
  if (!text.startsWith('INFO ')) return new Error('not a NATS server (no INFO greeting)');
  try {
    const info = JSON.parse(text.slice(5, text.indexOf('\r\n'))) as { version?: unknown; jetstream?: unknown };
    const version = typeof info.version === 'string' ? ` ${info.version}` : '';
    return `NATS${version}${info.jetstream === true ? ' with JetStream' : ''}`;
  } catch {
    return 'NATS';
  }
}

function judgeRedis(received: Buffer): string | Error | undefined {
  const text = received.toString('utf8');
  if (!text.includes('\r\n')) return undefined;
  if (text.startsWith('+PONG')) return 'Redis';
  if (text.startsWith('-NOAUTH')) return 'Redis (requires AUTH)';
  return new Error(`not Redis (answered ${JSON.stringify(text.slice(0, 40))})`);
}

function judgePostgres(received: Buffer): string | Error | undefined {
  const answer = received[0];
  if (answer === 0x53 || answer === 0x4e) return 'PostgreSQL';
  return new Error('not PostgreSQL (no SSLRequest answer)');
}

/** Runs `command args`, available when the output contains `marker`; detail = that line. */
export function detectBinary(command: string, args: readonly string[], marker: string): Promise<InfraStatus> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      if (output.length < 16_384) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve({
        name: command,
        available: false,
        detail: error.code === 'ENOENT' ? `${command} not found on PATH` : `${command}: ${error.message}`,
      }),
    );
    // Exit codes differ (sipp -v exits 99): the output decides.
    child.once('close', () => {
      const line = output.split('\n').find((l) => l.includes(marker));
      resolve(
        line === undefined
          ? { name: command, available: false, detail: `${command} ${args.join(' ')} did not print "${marker}"` }
          : { name: command, available: true, detail: line.trim() },
      );
    });
  });
}

export async function detectInfra(name: InfraName, options: InfraOptions = {}): Promise<InfraStatus> {
  if (name === 'sipp') return { ...(await detectBinary('sipp', ['-v'], 'SIPp v')), name };
  // A binary, not a running daemon: tests start their own (test/helpers/rtpengine.ts).
  if (name === 'rtpengine') return { ...(await detectBinary('rtpengine', ['--version'], 'Version:')), name };
  // The Go example router builds offline from Debian's golang-go and golang-github-nats-io-go-nats-dev.
  if (name === 'go') {
    const go = await detectBinary('go', ['version'], 'go version');
    if (!go.available) return { ...go, name };
    const lib = await detectBinary('ls', [`${GO_PATH}/src/github.com/nats-io/nats.go/nats.go`], 'nats.go');
    return lib.available ? { ...go, name } : { name, available: false, detail: `nats.go is not in ${GO_PATH} (Debian golang-github-nats-io-go-nats-dev)` };
  }
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? INFRA_DEFAULT_PORTS[name];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const probe =
    name === 'nats'
      ? probeTcp(host, port, timeoutMs, undefined, judgeNats)
      : name === 'redis'
        ? probeTcp(host, port, timeoutMs, Buffer.from('PING\r\n'), judgeRedis)
        : probeTcp(host, port, timeoutMs, PG_SSL_REQUEST, judgePostgres);
  return { name, ...(await probe) };
}

/** Registers a skipped test whose title is the reason, so the report shows why a suite did not run. */
export function skipSuite(reason: string): void {
  test.skip(reason, () => undefined);
}

/** See the module comment. Call it while a suite is being collected (inside describe). */
export async function requireInfra(name: InfraName, options: InfraOptions = {}): Promise<boolean> {
  const status = await detectInfra(name, options);
  if (status.available) return true;
  if (options.strict ?? infraIsRequired()) {
    throw new Error(`${name} is required (SIPMESH_REQUIRE_INFRA=1) but not available: ${status.detail}`);
  }
  skipSuite(`needs ${name}: ${status.detail}`);
  return false;
}
