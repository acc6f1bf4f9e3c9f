/** A transaction.completed event of the book's answered call (TC-109: 1001 calls 9196), for tests. */
import { CONTRACT_VERSION, type TransactionCompletedEvent } from '@sipmesh/contracts';

export function transactionEvent(over: Partial<TransactionCompletedEvent> = {}): TransactionCompletedEvent {
  return {
    event_id: 'edge1.1.7',
    type: 'transaction.completed',
    version: CONTRACT_VERSION,
    time: '2022-04-26T15:39:44.120Z',
    edge: 'edge1',
    tx: 'edge1.1.7',
    method: 'INVITE',
    ruri: 'sip:9196@192.168.7.8',
    call_id: 'Br28Q2ng.A7odJD7MESFokuSU93ZDdrw',
    cseq: 1,
    from: { uri: 'sip:1001@192.168.7.8', user: '1001', host: '192.168.7.8', tag: 'QA7AFWKNTW3ktVZxZJak8ggZceLBuYRq' },
    to: { uri: 'sip:9196@192.168.7.8', user: '9196', host: '192.168.7.8' },
    source: { ip: '172.22.0.1', port: 5060, transport: 'udp' },
    status: 200,
    reason: 'OK',
    outcome: 'relayed',
    attempts: 1,
    branches: [{ uri: 'sip:9196@192.168.7.8', status: 200, reason: 'OK' }],
    duration_ms: 20,
    acc: { flags: ['acc', 'failed'] },
    to_tag: '1v2Dy7jNQva5r',
    final_ruri: 'sip:9196@192.168.7.8',
    ...over,
  };
}
