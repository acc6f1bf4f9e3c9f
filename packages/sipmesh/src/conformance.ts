/**
 * Contract conformance checks for a routing service in any language: sends route requests to
 * `sipmesh.route.v1.<policy>` the way an edge does and checks every answer against the contract
 * (continue.json, route-answer.json): the same id, a valid rtjson result within the deadline, a
 * rejected newer major version (1001), a JSON-RPC error for a body that is not JSON.
 *
 *   node packages/sipmesh/dist/conformance-main.js --nats nats://127.0.0.1:4222 --policy default
 */
import { createValidators, JsonRpcErrorCode, subjects, type ContinueMessage, type RouteParams } from '@sipmesh/contracts';
import type { Bus } from '@sipmesh/runtime';

export interface ConformanceCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ConformanceOptions {
  /** Longest wait for each answer (the edge's route deadline). Default 5000. */
  timeoutMs?: number;
  /** Request-URI users to ask about (the policy's own numbers); default ['9196']. */
  users?: readonly string[];
}

function params(user: string, method: string, n: number): RouteParams {
  return {
    version: '1.0',
    edge: 'conformance',
    tx: `conformance.${n}.1`,
    method,
    ruri: `sip:${user}@example.com`,
    ruri_parts: { scheme: 'sip', user, host: 'example.com' },
    from: { uri: 'sip:alice@example.com', user: 'alice', host: 'example.com', tag: `t${n}` },
    to: { uri: `sip:${user}@example.com`, user, host: 'example.com' },
    call_id: `conformance-${n}@example.com`,
    cseq: { seq: 1, method },
    headers: { 'max-forwards': ['70'] },
    source: { ip: '192.0.2.4', port: 5060, transport: 'udp' },
    socket: { transport: 'udp', ip: '127.0.0.1', port: 5060, advertise: '127.0.0.1:5060' },
    ours: { ruri: true, from: true },
    auth: null,
    attempt: 1,
  };
}

export async function runConformance(bus: Bus, policy: string, options: ConformanceOptions = {}): Promise<ConformanceCheck[]> {
  const validators = createValidators();
  const timeoutMs = options.timeoutMs ?? 5000;
  const subject = subjects.route(policy);
  const checks: ConformanceCheck[] = [];
  const check = (name: string, ok: boolean, detail: string): void => {
    checks.push({ name, ok, detail });
  };
  let n = 0;

  const ask = async (body: Uint8Array): Promise<{ message: unknown } | { error: string }> => {
    try {
      const reply = await bus.request(subject, body, { timeoutMs });
      try {
        return { message: reply.json<unknown>() };
      } catch {
        return { error: 'the answer is not JSON' };
      }
    } catch (e) {
      return { error: (e as Error).message };
    }
  };

  for (const user of options.users ?? ['9196']) {
    for (const method of ['INVITE', 'MESSAGE']) {
      const id = `conformance.${++n}.1`;
      const request = { jsonrpc: '2.0', id, method: 'route', params: params(user, method, n) };
      const name = `answers a ${method} for ${user} with a valid continue message`;
      const r = await ask(Buffer.from(JSON.stringify(request)));
      if ('error' in r) {
        check(name, false, r.error);
        continue;
      }
      const v = validators.continueMessage(r.message);
      if (!v.ok) {
        check(name, false, v.errors.join('; '));
        continue;
      }
      const m: ContinueMessage = v.value;
      if (m.id !== id) check(name, false, `id ${JSON.stringify(m.id)} is not the request's ${id}`);
      else if (m.error) check(name, false, `error ${m.error.code}: ${m.error.message}`);
      else check(name, true, m.result?.reply ? `reply ${m.result.reply.code} ${m.result.reply.reason}` : `${m.result?.routing ?? 'serial'} ${m.result?.routes?.length ?? 0} route(s)`);
    }
  }

  {
    const id = `conformance.${++n}.1`;
    const request = { jsonrpc: '2.0', id, method: 'route', params: { ...params('9196', 'INVITE', n), version: '2.0' } };
    const name = 'rejects a newer major version with error 1001';
    const r = await ask(Buffer.from(JSON.stringify(request)));
    if ('error' in r) check(name, false, r.error);
    else {
      const m = r.message as { id?: unknown; error?: { code?: unknown } };
      check(name, m.id === id && m.error?.code === JsonRpcErrorCode.unsupportedVersion, `answered ${JSON.stringify(r.message).slice(0, 200)}`);
    }
  }

  {
    const name = 'answers a body that is not JSON with a JSON-RPC error';
    const r = await ask(Buffer.from('{"jsonrpc": "2.0", "id": '));
    if ('error' in r) check(name, false, r.error);
    else {
      const v = validators.jsonRpcErrorResponse(r.message);
      check(name, v.ok, v.ok ? `error ${(r.message as { error: { code: number } }).error.code}` : v.errors.join('; '));
    }
  }
  return checks;
}
