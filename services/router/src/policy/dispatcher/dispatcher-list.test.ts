import { describe, expect, it } from 'vitest';
import { parseDispatcherList, statusFromFlags } from './dispatcher-list.js';

describe('dispatcher.list parser', () => {
  it('reads the book format: setid destination [flags [priority [attrs]]]', () => {
    const r = parseDispatcherList(
      [
        '# PSTN gateways',
        '300 sip:kb-fs1:5080 0 0 weight=80;rweight=80;maxload=20',
        '100 sip:kb-fs1:5080',
        '200 sip:rts.xswitch.cn:20003;transport=tcp',
        '300 sip:rts.xswitch.cn:20003;transport=tcp 8 10 weight=20;rweight=20   # trailing comment',
        '',
      ].join('\n'),
    );
    if (!r.ok) throw new Error(r.errors.join());
    expect([...r.sets.keys()]).toEqual([100, 200, 300]);
    const s300 = r.sets.get(300)!;
    expect(s300.destinations.map((d) => [d.uri, d.priority, d.line, d.initial])).toEqual([
      ['sip:rts.xswitch.cn:20003;transport=tcp', 10, 5, { state: 'active', probing: true }],
      ['sip:kb-fs1:5080', 0, 2, { state: 'active', probing: false }],
    ]);
    expect(s300.destinations[1]!.attrs).toMatchObject({ weight: 80, rweight: 80, maxload: 20, body: 'weight=80;rweight=80;maxload=20' });
    expect(s300.destinations[0]!.target).toEqual({ scheme: 'sip', host: 'rts.xswitch.cn', port: 20003, transport: 'tcp' });
  });

  it('orders equal priorities in reverse file order, as Kamailio indexes them', () => {
    const r = parseDispatcherList('1 sip:a.example\n1 sip:b.example 0 5\n1 sip:c.example\n1 sip:d.example 0 5\n');
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.sets.get(1)!.destinations.map((d) => d.uri)).toEqual(['sip:d.example', 'sip:b.example', 'sip:c.example', 'sip:a.example']);
  });

  it('maps the flag bits to a named state', () => {
    expect(statusFromFlags(0)).toEqual({ state: 'active', probing: false });
    expect(statusFromFlags(1 | 8)).toEqual({ state: 'inactive', probing: true });
    expect(statusFromFlags(4)).toEqual({ state: 'disabled', probing: false });
    expect(statusFromFlags(2)).toEqual({ state: 'trying', probing: false });
    const r = parseDispatcherList('1 sip:a.example 48');
    expect(r.ok && [r.sets.get(1)!.destinations[0]!.skipDns, r.sets.get(1)!.destinations[0]!.noPing]).toEqual([true, true]);
  });

  it('reports every bad line with its number', () => {
    const r = parseDispatcherList('x sip:a\n1 http://a\n2 sip:b z\n3 sip:c 0 p\n4 sip:d 0 0 weight=120\n5 sip:e:99999\n6 sip:f 64\n7 sip:g 0 0 duid=a extra');
    expect(r).toEqual({
      ok: false,
      errors: [
        'line 1: set id "x" is not a non-negative integer',
        'line 2: destination "http://a" is not a sip/sips URI',
        'line 3: flags "z" is not a non-negative integer',
        'line 4: priority "p" is not an integer',
        'line 5: weight "120" is not an integer from 0 to 100',
        'line 6: destination "sip:e:99999" has no valid host or port',
        'line 7: flags 64 has bits other than 1 inactive, 2 trying, 4 disabled, 8 probing, 16 skip DNS, 32 no ping',
        'line 8: unexpected "extra" after the attrs (attrs contain no spaces)',
      ],
    });
  });
});
