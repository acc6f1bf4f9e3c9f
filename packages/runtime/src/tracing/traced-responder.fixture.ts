// Second process of tracing.test.ts: a "router" that answers one request over real NATS
// inside a child span of the caller's trace, then shuts down cleanly.
//   run-ts.mjs traced-responder.fixture.ts <nats-url> <subject> <spans-file>
import { SpanKind, trace } from '@opentelemetry/api';
import { connectNatsBus } from '../bus/nats-bus.js';
import { extractTraceContext } from './trace-headers.js';
import { startTracing } from './start-tracing.js';

const [natsUrl, subject, spansFile] = process.argv.slice(3);
if (natsUrl === undefined || subject === undefined || spansFile === undefined) throw new Error('usage: <nats-url> <subject> <spans-file>');

const tracing = startTracing({ serviceName: 'router', serviceInstanceId: 'router-1', exporter: 'file', filePath: spansFile });
const bus = await connectNatsBus({ servers: natsUrl, name: 'traced-responder' });
const tracer = trace.getTracer('sipmesh-router');
let answered: () => void = () => undefined;
const done = new Promise<void>((resolve) => {
  answered = resolve;
});

bus.subscribe(subject, (msg) => {
  const span = tracer.startSpan('router.route', { kind: SpanKind.SERVER, attributes: { 'sipmesh.subject': msg.subject } }, extractTraceContext(msg.headers));
  msg.respond(Buffer.from('{"routes":[]}'));
  span.end();
  answered();
});
await bus.flush();
process.stdout.write('ready\n');
await done;
await bus.drain();
await tracing.shutdown();
