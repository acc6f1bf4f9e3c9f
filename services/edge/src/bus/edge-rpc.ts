/**
 * Actions the edge performs for other services over the bus, JSON-RPC 2.0 request/reply: today the
 * OPTIONS probe (contracts options-probe.json), on this edge's own subject and on the any-edge
 * subject in queue group EDGE_QUEUE. A malformed request gets a JSON-RPC error, never silence.
 */
import { EDGE_QUEUE, JsonRpcErrorCode, subjects, type ContractValidators, type OptionsProbeResponse } from '@sipmesh/contracts';
import type { Bus, BusMessage, BusSubscription } from '@sipmesh/runtime';
import { ProbeError, type OptionsProber } from '../probe/options-probe.js';

export class EdgeRpc {
  private readonly subs: BusSubscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly edgeId: string,
    private readonly validators: ContractValidators,
    private readonly prober: OptionsProber,
  ) {}

  start(): void {
    const handler = (msg: BusMessage): Promise<void> => this.onOptions(msg);
    this.subs.push(this.bus.subscribe(subjects.edgeRpc(this.edgeId, 'options'), handler));
    this.subs.push(this.bus.subscribe(subjects.anyEdgeRpc('options'), handler, { queue: EDGE_QUEUE }));
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
  }

  private async onOptions(msg: BusMessage): Promise<void> {
    let body: unknown;
    try {
      body = msg.json<unknown>();
    } catch {
      this.respond(msg, { jsonrpc: '2.0', id: '', error: { code: JsonRpcErrorCode.parseError, message: 'probe request is not JSON' } });
      return;
    }
    const rawId = (body as { id?: unknown } | null)?.id;
    const id = typeof rawId === 'string' ? rawId : '';
    const v = this.validators.optionsProbe(body);
    if (!v.ok) {
      this.respond(msg, { jsonrpc: '2.0', id, error: { code: JsonRpcErrorCode.invalidParams, message: `invalid probe request: ${v.errors.join('; ')}` } });
      return;
    }
    try {
      const result = await this.prober.probe(v.value.params);
      this.respond(msg, { jsonrpc: '2.0', id, result });
    } catch (e) {
      const code = e instanceof ProbeError ? e.code : 'EDGE_ERR_INTERNAL';
      this.respond(msg, { jsonrpc: '2.0', id, error: { code: JsonRpcErrorCode.edgeActionFailed, message: (e as Error).message, data: { code, edge: this.edgeId } } });
    }
  }

  private respond(msg: BusMessage, response: OptionsProbeResponse): void {
    if (msg.reply === undefined) return; // a publish without reply subject wants no answer
    msg.respond(Buffer.from(JSON.stringify(response)));
  }
}
