import { describe, expect, it } from 'vitest';
import { parseDestinationAttrs } from './destination-attrs.js';

describe('destination attrs', () => {
  it('types the attributes the algorithms read and keeps the others', () => {
    const r = parseDestinationAttrs('duid=gw1;WEIGHT=80;rweight=80;maxload=20;socket=udp:10.0.0.1:5060;ping_from=sip:ping@example.com;cc=1;latency=35;obproxy=sip:p.example.com;');
    expect(r).toEqual({
      ok: true,
      attrs: {
        body: 'duid=gw1;WEIGHT=80;rweight=80;maxload=20;socket=udp:10.0.0.1:5060;ping_from=sip:ping@example.com;cc=1;latency=35;obproxy=sip:p.example.com',
        duid: 'gw1',
        weight: 80,
        rweight: 80,
        maxload: 20,
        socket: 'udp:10.0.0.1:5060',
        pingFrom: 'sip:ping@example.com',
        congestionControl: true,
        latencyMs: 35,
        others: new Map([['obproxy', 'sip:p.example.com']]),
      },
    });
  });

  it('defaults: no weight, no rweight, maxload 0 = no limit', () => {
    const r = parseDestinationAttrs('');
    expect(r.ok && [r.attrs.weight, r.attrs.rweight, r.attrs.maxload, r.attrs.duid]).toEqual([0, 0, 0, undefined]);
    const unlimited = parseDestinationAttrs('maxload=0');
    expect(unlimited.ok && unlimited.attrs.maxload).toBe(0);
  });

  it('rejects values outside their range, each with its reason', () => {
    const r = parseDestinationAttrs('weight=101;rweight=0;maxload=-1;duid=;socket=udp:h:99999;ping_from=nope;cc=2;latency=x;weight=5');
    expect(r).toEqual({
      ok: false,
      errors: [
        'weight "101" is not an integer from 0 to 100',
        'rweight "0" is not an integer from 1 to 100',
        'maxload "-1" is not a non-negative integer (0 means no limit)',
        'duid is empty',
        'socket "udp:h:99999" is not [proto:]host[:port]',
        'ping_from "nope" is not a sip/sips URI',
        'cc "2" is not 0 or 1',
        'latency "x" is not a non-negative number of milliseconds',
        'attribute weight is given twice',
      ],
    });
  });
});
