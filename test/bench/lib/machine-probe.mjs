// A fixed Node workload timed before each run: how fast the machine is for sipmesh's kind of
// work right now. The VM this bench runs on has slow and fast periods (the same build measured
// 270 and 400 µs per registration within the hour, and Kamailio's own CPU per registration moved
// ~20 % with it), so a result means little without the machine's speed at the time.
//
// The workload is what sipmesh's processes spend their CPU on: JSON of a route request (parse and
// stringify) and a UDP datagram over loopback and back (two sends, two receives, the kernel's
// loopback path). It runs in a fresh Node process each time, so JIT and heap start alike; the
// figure is that process's CPU per iteration (user + system), after a warm-up.
import { execFile } from 'node:child_process';

const WORKLOAD = `
const dgram = require('node:dgram');
const request = JSON.stringify({ jsonrpc: '2.0', id: 'edge1.1.1', method: 'route', params: {
  version: '1.0', edge: 'edge1', tx: 'edge1.1.1', method: 'REGISTER', ruri: 'sip:127.0.0.1:5060',
  from: { uri: 'sip:user000000@127.0.0.1', host: '127.0.0.1', user: 'user000000', tag: '11418SIPpTag001' },
  to: { uri: 'sip:user000000@127.0.0.1', host: '127.0.0.1', user: 'user000000' },
  call_id: '1-11418@127.0.0.1', cseq: { seq: 2, method: 'REGISTER' },
  headers: { via: ['SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-11418-1-2'], contact: ['<sip:user000000@127.0.0.1:5080>'],
    authorization: ['Digest username="user000000",realm="127.0.0.1",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:127.0.0.1:5060",nonce="AGsKEhYCux8Dk0djGLrbhs72b_yyPPXx-iVnprAcfyzP",response="fbfb6bd890474cebe78f516452d88d42",algorithm=MD5'],
    expires: ['3600'], 'max-forwards': ['70'], 'user-agent': ['sipp-bench'], 'content-length': ['0'] },
  source: { ip: '127.0.0.1', port: 5080, transport: 'udp' }, attempt: 1 } });
const [warm, n] = process.argv.slice(1).map(Number);
const a = dgram.createSocket('udp4');
const b = dgram.createSocket('udp4');
let left = warm + n;
let start;
b.on('message', (m, r) => b.send(Buffer.from(JSON.stringify(JSON.parse(m.toString('utf8')))), r.port, r.address));
a.on('message', () => {
  left--;
  if (left === n) start = process.cpuUsage();
  if (left > 0) return a.send(Buffer.from(request), b.address().port, '127.0.0.1');
  const c = process.cpuUsage(start);
  process.stdout.write(String((c.user + c.system) / n));
  a.close();
  b.close();
});
a.bind(0, '127.0.0.1', () => b.bind(0, '127.0.0.1', () => a.send(Buffer.from(request), b.address().port, '127.0.0.1')));
`;

/**
 * Runs the workload once: CPU µs per iteration (lower = faster machine), or throws with the
 * child's error.
 * @param {{ iterations?: number, warmup?: number, timeoutMs?: number }} [options]
 * @returns {Promise<number>}
 */
export function probeMachine(options = {}) {
  const iterations = options.iterations ?? 20_000;
  const warmup = options.warmup ?? 2_000;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', WORKLOAD, String(warmup), String(iterations)], { timeout: options.timeoutMs ?? 30_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`machine probe failed: ${stderr.trim() || error.message}`));
      const us = Number(stdout);
      if (!(us > 0) || !Number.isFinite(us)) return reject(new Error(`machine probe printed ${JSON.stringify(stdout)}`));
      resolve(Math.round(us * 10) / 10);
    });
  });
}
