import { describe, expect, it } from 'vitest';
import { parseDispatcherList } from './dispatcher-list.js';

describe('dispatcher.list parser', () => {
  it('reads the book format: setid destination [flags [priority [attrs]]]', () => {
    const r = parseDispatcherList(
      [
        '# PSTN gateways',
        '100 sip:kb-fs1:5080',
        '200 sip:rts.xswitch.cn:20003;transport=tcp',
        '300 sip:kb-fs1:5080 0 0 weight=80;rweight=80;maxload=20',
        '300 sip:rts.xswitch.cn:20003;transport=tcp 0 10 weight=20;rweight=20   # trailing comment',
        '',
      ].join('\n'),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([...r.sets.keys()]).toEqual([100, 200, 300]);
    const s300 = r.sets.get(300)!;
    // highest priority first
    expect(s300.destinations.map((d) => [d.uri, d.priority])).toEqual([
      ['sip:rts.xswitch.cn:20003;transport=tcp', 10],
      ['sip:kb-fs1:5080', 0],
    ]);
    expect(Object.fromEntries(s300.destinations[1]!.attrs)).toEqual({ weight: '80', rweight: '80', maxload: '20' });
  });

  it('reports every bad line with its number', () => {
    const r = parseDispatcherList('x sip:a\n1 http://a\n2 sip:b z\n3 sip:c 0 p');
    expect(r).toEqual({
      ok: false,
      errors: [
        'line 1: set id "x" is not a non-negative integer',
        'line 2: destination "http://a" is not a sip/sips URI',
        'line 3: flags "z" is not a non-negative integer',
        'line 4: priority "p" is not an integer',
      ],
    });
  });
});
