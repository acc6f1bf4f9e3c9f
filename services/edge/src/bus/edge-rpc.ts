/**
 * Actions the edge performs for other services over the bus, JSON-RPC 2.0 request/reply, each on
 * this edge's own subject and on the any-edge subject in queue group EDGE_QUEUE: the OPTIONS probe
 * (contracts options-probe.json) and one out-of-dialog request (contracts edge-request.json). A
 * malformed request gets a JSON-RPC error, never silence.
 */
import { EDGE_QUEUE, JsonRpcErrorCode, subjects, type ContractValidators, type JsonRpcError, type Validation } from '@sipmesh/contracts';
import type { Bus, BusMessage, BusSubscription } from '@sipmesh/runtime';
import type { OptionsProber } from '../probe/options-probe.js';
import { edgeRequestProblems, type EdgeRequester } from '../uac/edge-request.js';
import { RequestError } from '../uac/request-sender.js';

/** One action: how its request is checked and what performing it answers. */
interface RpcAction<P> {
  /** Subject suffix: `sipmesh.edge.<id>.rpc.<name>`, `sipmesh.edges.v1.rpc.<name>`. */
  readonly name: string;
  /** What the request is called in error messages. */
  readonly noun: string;
  /** The schema's verdict, then any check the schema cannot express. */
  check(body: unknown): Validation<{ params: P }>;
  perform(params: P): Promise<object>;
}

type RpcResponse = { jsonrpc: '2.0'; id: string } & ({ result: object } | { error: JsonRpcError });

export class EdgeRpc {
  private readonly subs: BusSubscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly edgeId: string,
    private readonly validators: ContractValidators,
    private readonly prober: OptionsProber,
    private readonly requester: EdgeRequester,
  ) {}

  start(): void {
    this.serve({ name: 'options', noun: 'probe request', check: (body) => this.validators.optionsProbe(body), perform: (p) => this.prober.probe(p) });
    this.serve({
      name: 'request',
      noun: 'edge request',
      check: (body) => {
        const v = this.validators.edgeRequest(body);
        if (!v.ok) return v;
        const problems = edgeRequestProblems(v.value.params);
        return problems.length === 0 ? v : { ok: false, errors: problems };
      },
      perform: (p) => this.requester.request(p),
    });
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
  }

  private serve<P>(action: RpcAction<P>): void {
    const handler = (msg: BusMessage): Promise<void> => this.onRequest(action, msg);
    this.subs.push(this.bus.subscribe(subjects.edgeRpc(this.edgeId, action.name), handler));
    this.subs.push(this.bus.subscribe(subjects.anyEdgeRpc(action.name), handler, { queue: EDGE_QUEUE }));
  }

  private async onRequest<P>(action: RpcAction<P>, msg: BusMessage): Promise<void> {
    let body: unknown;
    try {
      body = msg.json<unknown>();
    } catch {
      this.respond(msg, { jsonrpc: '2.0', id: '', error: { code: JsonRpcErrorCode.parseError, message: `${action.noun} is not JSON` } });
      return;
    }
    const rawId = (body as { id?: unknown } | null)?.id;
    const id = typeof rawId === 'string' ? rawId : '';
    const v = action.check(body);
    if (!v.ok) {
      this.respond(msg, { jsonrpc: '2.0', id, error: { code: JsonRpcErrorCode.invalidParams, message: `invalid ${action.noun}: ${v.errors.join('; ')}` } });
      return;
    }
    try {
      const result = await action.perform(v.value.params);
      this.respond(msg, { jsonrpc: '2.0', id, result });
    } catch (e) {
      const code = e instanceof RequestError ? e.code : 'EDGE_ERR_INTERNAL';
      this.respond(msg, { jsonrpc: '2.0', id, error: { code: JsonRpcErrorCode.edgeActionFailed, message: (e as Error).message, data: { code, edge: this.edgeId } } });
    }
  }

  private respond(msg: BusMessage, response: RpcResponse): void {
    if (msg.reply === undefined) return; // a publish without reply subject wants no answer
    msg.respond(Buffer.from(JSON.stringify(response)));
  }
}
