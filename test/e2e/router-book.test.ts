/**
 * The book's routing examples as calls: MESSAGEs from SIPp through the edge over NATS, routed by a
 * router reading Kamailio tables in the real PostgreSQL (dialplan, lcr), arriving at the gateways
 * the book says with the Request-URI it says.
 */
import { migrate } from '@sipmesh/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { runSipp, scenarioPath, stopAllSipp } from '../helpers/sipp.js';
import { RecordingPeer } from './support/recording-peer.js';
import { startSipmesh, type SipmeshUnderTest } from './support/sipmesh-under-test.js';


describe('the book routing examples through the edge, from PostgreSQL', async () => {
  if (!(await requireInfra('postgres'))) return;
  if (!(await requireInfra('nats'))) return;
  if (!(await requireInfra('sipp'))) return;

  let schema: TestSchema;
  let sipmesh: SipmeshUnderTest;
  const peers: RecordingPeer[] = [];

  beforeAll(async () => {
    schema = await createTestSchema('smbook');
    await migrate(schema.pool);
    for (let i = 0; i < 3; i++) {
      const p = new RecordingPeer(await freePort('udp', { leaseMs: Infinity }));
      await p.start();
      peers.push(p);
    }
    const [a, b, c] = peers.map((p) => p.port);
    const q = (sql: string, values: unknown[] = []): Promise<unknown> => schema.pool.query(sql, values);
    // dialplan, book §8.2: dpid 1 equal match 102 -> 212341234
    await q("INSERT INTO dialplan (dpid, pr, match_op, match_exp, match_len, subst_exp, repl_exp, attrs) VALUES (1, 0, 0, '102', 0, '', '212341234', 'equal match')");
    // lcr, book §8.3, with the gateways on this machine's loopback; gw2 keeps its hostname (transport 1: the
    // R-URI names ;transport=udp, as Kamailio writes it)
    await q("INSERT INTO lcr_gw (id, lcr_id, gw_name, ip_addr, hostname, port, uri_scheme, transport, defunct) VALUES (1, 1, 'gw1', '127.0.0.1', NULL, $1, 1, 1, 0), (2, 1, 'gw2', '127.0.0.1', 'gw.com', $2, 1, 1, 0), (3, 1, 'gw3', '127.0.0.1', NULL, $3, 1, 1, 0)", [a, b, c]);
    await q("INSERT INTO lcr_rule (id, lcr_id, prefix, stopper, enabled) VALUES (1, 1, '44', 0, 1), (2, 1, '442', 0, 1), (3, 1, '443', 0, 1), (4, 1, '49', 0, 1), (5, 1, '49800', 0, 1), (6, 1, '491', 0, 1), (7, 1, '212', 0, 1)");
    await q('INSERT INTO lcr_rule_target (lcr_id, rule_id, gw_id, priority, weight) VALUES (1, 1, 1, 10, 1), (1, 2, 2, 10, 1), (1, 3, 2, 10, 1), (1, 4, 2, 10, 1), (1, 5, 1, 10, 1), (1, 5, 3, 20, 1), (1, 6, 1, 10, 1), (1, 7, 3, 10, 1)');
    sipmesh = await startSipmesh({
      mode: 'nats',
      router: { 'database.url': schema.url, 'database.migrate': false },
      routes: {
        rules: [],
        steps: [{ dialplan: { dpid: 1, source: { table: 'dialplan' } } }, { lcr: { gateways: { table: 'lcr_gw' }, rules: { table: 'lcr_rule' }, targets: { table: 'lcr_rule_target' }, on_no_route: 'reply' } }],
      },
    });
  }, 60_000);

  afterAll(async () => {
    await stopAllSipp();
    await sipmesh?.stop();
    for (const p of peers) await p.stop();
    releasePorts(...peers.map((p) => p.port));
    await schema?.drop();
  });

  const send = async (number: string): Promise<void> => {
    const r = await runSipp({ scenario: scenarioPath('uac-message.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: number, calls: 1, timeoutS: 15 }).done;
    expect(r.outcome, r.summary).toBe('success');
  };
  const last = (i: number): string | undefined => peers[i]?.requestLines.at(-1);

  it('102 is translated by dialplan to 212341234 and routed by lcr', async () => {
    await send('102');
    expect(last(2)).toBe(`MESSAGE sip:212341234@127.0.0.1:${peers[2]?.port};transport=udp SIP/2.0`);
  });

  it('lcr: 441000 goes to gw1, 442000 to gw2 under its hostname, 49800123 to gw1 first', async () => {
    await send('441000');
    expect(last(0)).toBe(`MESSAGE sip:441000@127.0.0.1:${peers[0]?.port};transport=udp SIP/2.0`);
    await send('442000');
    // a gateway with a hostname: the R-URI names the host, the request goes to its address
    expect(last(1)).toBe('MESSAGE sip:442000@gw.com SIP/2.0');
    const before = peers[0]?.requestLines.length ?? 0;
    await send('49800123');
    expect(peers[0]?.requestLines.length).toBe(before + 1);
    expect(last(0)).toBe(`MESSAGE sip:49800123@127.0.0.1:${peers[0]?.port};transport=udp SIP/2.0`);
  });
});
