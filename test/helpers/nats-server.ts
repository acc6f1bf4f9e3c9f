/**
 * A private nats-server with JetStream for tests that stop and restart it (the shared one on 4222
 * must keep running for everything else): own port, own store directory, restarted on the same
 * port and store so the stream and consumers survive, as they would in production.
 *
 *   const nats = await startNatsServer();   // nats.url
 *   await nats.stop();                      // SIGTERM: JetStream flushes its store
 *   await nats.start();
 *   await nats.dispose();                   // stop and remove the store
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeTcpPort } from './ports.js';

const BIN = '/usr/sbin/nats-server';

export interface PrivateNatsServer {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startNatsServer(): Promise<PrivateNatsServer> {
  const port = await freeTcpPort();
  const storeDir = mkdtempSync(path.join(tmpdir(), 'sipmesh-nats-'));
  let child: ChildProcess | undefined;
  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const c = spawn(BIN, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      let output = '';
      const timer = setTimeout(() => {
        c.kill('SIGKILL');
        reject(new Error(`nats-server did not start: ${output}`));
      }, 15_000);
      c.stderr?.on('data', (chunk: Buffer) => {
        if (output.length < 20_000) output += chunk.toString();
        if (output.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    start,
    stop,
    dispose: async () => {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
