import { describe, expect, it } from 'vitest';
import { Dispatcher } from './dispatcher.js';
import { normalizeIp, type FromListQuery } from './is-from-list.js';

function load(text: string): Dispatcher {
  const r = Dispatcher.fromList(text);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.dispatcher;
}

const LIST = [
  '100 sip:127.0.0.1:5080 0 0 duid=fs1;weight=50',
  '200 sip:10.0.0.7:5060;transport=tcp',
  '300 sip:10.0.0.9',
  '400 sip:fs.example.net:5080',
  '500 sip:10.0.0.11:5060 16',
  '600 sip:[2001:db8::7]:5060',
].join('\n');

function match(d: Dispatcher, query: FromListQuery): number | undefined | string {
  const r = d.isFromList(query);
  return r.ok ? r.match?.setId : r.error;
}

const udp = (ip: string, port: number): NonNullable<FromListQuery['source']> => ({ ip, port, transport: 'udp' });

describe('TC-62 ds_is_from_list', () => {
  const d = load(LIST);

  it('matches the URI 127.0.0.1:5080 in group 100 with mode 3 (ignore port and transport), returning set and attrs', () => {
    const r = d.isFromList({ group: 100, mode: 3, uri: 'sip:127.0.0.1:5080' });
    expect(r.ok && r.match && { set: r.match.setId, attrs: r.match.attrs, uri: r.match.destination.uri }).toEqual({ set: 100, attrs: 'duid=fs1;weight=50', uri: 'sip:127.0.0.1:5080' });
    expect(match(d, { group: 200, mode: 3, uri: 'sip:127.0.0.1:5080' })).toBeUndefined();
  });

  it('with no arguments, any group matches on address and port, whatever the transport', () => {
    expect(match(d, { source: udp('127.0.0.1', 5080) })).toBe(100);
    expect(match(d, { source: { ip: '10.0.0.7', port: 5060, transport: 'udp' } })).toBe(200);
    expect(match(d, { source: udp('127.0.0.1', 5081) })).toBeUndefined();
    expect(match(d, { source: udp('127.0.0.2', 5080) })).toBeUndefined();
  });

  it('mode bits: 1 ignores the port, 2 the transport; a destination without a port matches any port', () => {
    expect(match(d, { mode: 1, source: udp('127.0.0.1', 5081) })).toBeUndefined(); // transport compared: 127.0.0.1:5080 has none
    expect(match(d, { mode: 3, source: udp('127.0.0.1', 5081) })).toBe(100);
    expect(match(d, { mode: 0, source: { ip: '10.0.0.7', port: 5060, transport: 'tcp' } })).toBe(200);
    expect(match(d, { mode: 0, source: { ip: '10.0.0.7', port: 5060, transport: 'udp' } })).toBeUndefined();
    expect(match(d, { mode: 2, source: udp('10.0.0.9', 40_000) })).toBe(300);
  });

  it('host names match only through addresses a resolver returned; flag 16 (skip DNS) never matches', () => {
    expect(match(d, { source: udp('192.0.2.50', 5080) })).toBeUndefined();
    const resolved = (host: string): string[] | undefined => (host === 'fs.example.net' ? ['192.0.2.50'] : undefined);
    expect(match(d, { source: udp('192.0.2.50', 5080), resolved })).toBe(400);
    expect(match(d, { mode: 3, uri: 'sip:fs.example.net', resolved })).toBe(400);
    expect(match(d, { source: udp('10.0.0.11', 5060) })).toBeUndefined();
  });

  it('compares IPv6 addresses in any spelling', () => {
    expect(match(d, { source: udp('2001:0db8:0:0:0:0:0:7', 5060) })).toBe(600);
    expect(normalizeIp('[::ffff:192.0.2.1]')).toBe(normalizeIp('0:0:0:0:0:ffff:c000:201'));
  });

  it('mode 4 only matches destinations that can take calls', () => {
    const e = load(LIST);
    e.setState(100, 'sip:127.0.0.1:5080', { state: 'inactive', probing: true });
    expect(match(e, { source: udp('127.0.0.1', 5080) })).toBe(100);
    expect(match(e, { mode: 6, source: udp('127.0.0.1', 5080) })).toBeUndefined();
  });

  it('refuses modes it does not implement and queries without anything to match', () => {
    expect(match(d, { mode: 8, source: udp('127.0.0.1', 5080) })).toMatch(/mode 8 is not supported/);
    expect(match(d, {})).toBe('neither a source nor a URI to match');
    expect(match(d, { uri: 'tel:+1' })).toBe('"tel:+1" is not a sip/sips URI');
  });
});
