import { describe, expect, it } from 'vitest';
import { Dispatcher } from './dispatcher.js';
import { dispatcherListRpc, dispatcherSetStateRpc, parseRpcState } from './dispatcher-rpc.js';

function load(text: string): Dispatcher {
  const r = Dispatcher.fromList(text);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.dispatcher;
}

const BOOK_LIST = ['100 sip:kb-fs1:5080', '200 sip:rts.xswitch.cn:20003;transport=tcp', '300 sip:kb-fs1:5080', '300 sip:rts.xswitch.cn:20003;transport=tcp'].join('\n');

describe('dispatcher.list and dispatcher.set_state RPC', () => {
  it('TC-47: the four-line list shows NRSETS 3 and every DEST with URI, FLAGS AX, PRIORITY 0', () => {
    expect(dispatcherListRpc(load(BOOK_LIST))).toEqual({
      NRSETS: 3,
      RECORDS: [
        { SET: { ID: 100, TARGETS: [{ DEST: { URI: 'sip:kb-fs1:5080', FLAGS: 'AX', PRIORITY: 0 } }] } },
        { SET: { ID: 200, TARGETS: [{ DEST: { URI: 'sip:rts.xswitch.cn:20003;transport=tcp', FLAGS: 'AX', PRIORITY: 0 } }] } },
        {
          SET: {
            ID: 300,
            TARGETS: [{ DEST: { URI: 'sip:rts.xswitch.cn:20003;transport=tcp', FLAGS: 'AX', PRIORITY: 0 } }, { DEST: { URI: 'sip:kb-fs1:5080', FLAGS: 'AX', PRIORITY: 0 } }],
          },
        },
      ],
    });
  });

  it('shows attrs, call load and latency when a destination has them', () => {
    const d = load('1 sip:gw1.example 8 5 duid=gw1;maxload=20;weight=80;rweight=80;socket=udp:10.0.0.1:5060\n2 sip:gw2.example 32');
    d.select(1, { algorithm: 'call-load' }, { method: 'INVITE', ruri: 'sip:1@x', ruri_parts: { scheme: 'sip', host: 'x' }, from: { uri: 'sip:a@x', host: 'x' }, to: { uri: 'sip:1@x', host: 'x' }, call_id: 'c', headers: {}, source: { ip: '192.0.2.1', port: 5060, transport: 'udp' } });
    d.recordLatency('sip:gw1.example', 40);
    const [set1, set2] = dispatcherListRpc(d).RECORDS;
    expect(set1?.SET.TARGETS[0]?.DEST).toEqual({
      URI: 'sip:gw1.example',
      FLAGS: 'AP',
      PRIORITY: 5,
      ATTRS: { BODY: 'duid=gw1;maxload=20;weight=80;rweight=80;socket=udp:10.0.0.1:5060', DUID: 'gw1', MAXLOAD: 20, WEIGHT: 80, RWEIGHT: 80, SOCKET: 'udp:10.0.0.1:5060' },
      LATENCY: { AVG: 40, STD: 0, EST: 40, MAX: 40 },
      RUNTIME: { DLGLOAD: 1 },
    });
    expect(set2?.SET.TARGETS[0]?.DEST.FLAGS).toBe('AN');
  });

  it('set_state takes Kamailio state strings and shows them back in FLAGS', () => {
    const d = load(BOOK_LIST);
    const flags = (): string | undefined => dispatcherListRpc(d).RECORDS[2]?.SET.TARGETS.find((t) => t.DEST.URI === 'sip:kb-fs1:5080')?.DEST.FLAGS;
    for (const [state, shown] of [['ip', 'IP'], ['0', 'IX'], ['AP', 'AP'], ['d', 'DX'], ['DP', 'DX'], ['3p', 'TP'], ['1', 'AX']]) {
      expect(dispatcherSetStateRpc((g, a, st) => d.setState(g, a, st), state!, 300, 'sip:kb-fs1:5080')).toEqual({ ok: true, message: 'Ok. Dispatcher state updated.' });
      expect(flags(), state).toBe(shown);
    }
    expect(dispatcherSetStateRpc((g, a, st) => d.setState(g, a, st), 'I', 300, 'all')).toMatchObject({ ok: true });
    expect(dispatcherListRpc(d).RECORDS[2]?.SET.TARGETS.map((t) => t.DEST.FLAGS)).toEqual(['IX', 'IX']);
    expect(dispatcherSetStateRpc((g, a, st) => d.setState(g, a, st), 'X', 300, 'sip:kb-fs1:5080')).toEqual({ ok: false, code: 500, message: 'Unknown State Value' });
    expect(dispatcherSetStateRpc((g, a, st) => d.setState(g, a, st), 'A', 300, 'sip:nowhere')).toEqual({ ok: false, code: 500, message: 'State Update Failed' });
    expect(dispatcherSetStateRpc((g, a, st) => d.setState(g, a, st), 'A', 999, 'all')).toEqual({ ok: false, code: 500, message: 'State Update Failed' });
    expect(parseRpcState('')).toBeUndefined();
  });

  it('an empty list has no sets', () => {
    expect(dispatcherListRpc(new Dispatcher(new Map()))).toEqual({ NRSETS: 0, RECORDS: [] });
  });
});
