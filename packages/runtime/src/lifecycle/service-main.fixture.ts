// A main.ts for run-service.test.ts: two components started in order; each stop is announced
// on stdout. argv[3] picks a behaviour: "normal", "hang" (second component never stops),
// "throw" (an uncaught exception after start).
import { Writable } from 'node:stream';
import { createLogger } from '../logging/create-logger.js';
import { runService } from './run-service.js';

const mode = process.argv[3] ?? 'normal';
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const logLines = new Writable({
  write(chunk: Buffer, _encoding, done) {
    process.stderr.write(chunk);
    done();
  },
});

void runService({
  name: 'fixture',
  logger: createLogger({ service: 'fixture', level: 'info', destination: logLines }),
  stopTimeoutMs: 500,
  start: async () => {
    const keepAlive = setInterval(() => undefined, 1000);
    const components = [
      { name: 'first', stop: () => { clearInterval(keepAlive); say('stopped first'); } },
      { name: 'second', stop: () => (mode === 'hang' ? new Promise<void>(() => undefined) : say('stopped second')) },
    ];
    if (mode === 'throw') setTimeout(() => { throw new Error('boom after start'); }, 10);
    say('started');
    return components;
  },
});
