import { describe, expect, it } from 'vitest';
import type { Binding } from './binding.js';
import { decodeBinding, encodeBinding } from './binding-codec.js';

const full: Binding = {
  aor: 'alice@example.com',
  contact: 'sip:alice@192.168.1.20:5060',
  ruid: 'r1',
  expiresAtMs: 1_700_000_060_000,
  q: 0.5,
  callId: 'abc@192.168.1.20',
  cseq: 7,
  received: 'sip:203.0.113.9:40000;transport=tcp',
  path: ['<sip:10.0.0.1;lr>', '<sip:10.0.0.2;lr>'],
  userAgent: 'Yealink',
  instance: '<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>',
  regId: 1,
  edge: 'edge1',
  socket: 'tcp:10.0.0.1:5060',
  connectionId: 42,
  nat: true,
  lastModifiedMs: 1_700_000_000_000,
  methods: ['INVITE', 'BYE'],
};

describe('binding JSON', () => {
  it('round-trips every field, and q absent as undefined', () => {
    expect(decodeBinding(encodeBinding(full))).toEqual(full);
    const bare: Binding = { aor: 'bob', contact: 'sip:bob@h', ruid: 'r2', expiresAtMs: 1, q: undefined, callId: 'c', cseq: 1, edge: 'e', nat: false, lastModifiedMs: 0 };
    const json = encodeBinding(bare);
    expect(json).not.toContain('"q"');
    expect(decodeBinding(json)).toEqual(bare);
  });

  it('refuses values that are not bindings', () => {
    expect(decodeBinding('{not json')).toBeUndefined();
    expect(decodeBinding('[]')).toBeUndefined();
    expect(decodeBinding(JSON.stringify({ ...full, cseq: '7' }))).toBeUndefined();
    expect(decodeBinding(JSON.stringify({ ...full, q: 2 }))).toBeUndefined();
    expect(decodeBinding(JSON.stringify({ ...full, path: [1] }))).toBeUndefined();
    const { edge: _edge, ...noEdge } = full;
    expect(decodeBinding(JSON.stringify(noEdge))).toBeUndefined();
  });

  it('ignores fields a newer writer added', () => {
    expect(decodeBinding(JSON.stringify({ ...full, gruu: 'x' }))).toEqual(full);
  });
});
