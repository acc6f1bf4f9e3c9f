/**
 * The router's side of the registrar (DESIGN §3): location lookups (`sipmesh.registrar.v1.lookup`)
 * and digest checks (`sipmesh.registrar.v1.auth`) as bus requests, answers schema-checked. A
 * registrar that is not running fails the request at once (no responders); a slow one after
 * `timeoutMs`, which stays well below the edge's route deadline.
 */
import {
  CONTRACT_VERSION,
  subjects,
  type AuthCheckParams,
  type AuthCheckResult,
  type ContractValidators,
  type LocationContact,
} from '@sipmesh/contracts';
import { BusErrorCode, isBusError, type Bus } from '@sipmesh/runtime';
import { RegistrarUnavailable } from '../policy/default/location.js';

export { RegistrarUnavailable };


export interface RegistrarClientOptions {
  readonly bus: Bus;
  readonly validators: ContractValidators;
  /** Router id, for request ids. */
  readonly routerId: string;
  readonly timeoutMs?: number;
}

export class RegistrarClient {
  private seq = 0;
  private readonly timeoutMs: number;

  constructor(private readonly options: RegistrarClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 1500;
  }

  /** Contacts of `aor` in forking order (groups of equal q, highest first); [] when none. */
  async lookup(aor: string): Promise<LocationContact[][]> {
    const body = await this.call(subjects.lookup, 'lookup', { version: CONTRACT_VERSION, aor });
    const v = this.options.validators.locationLookupResponse(body);
    if (!v.ok) throw new RegistrarUnavailable(`registrar answered the lookup with an invalid message: ${v.errors.join('; ')}`);
    if (v.value.error) throw new RegistrarUnavailable(`registrar refused the lookup: ${v.value.error.message}`);
    return v.value.result?.groups ?? [];
  }

  /** Kamailio auth_check for a request that is not a REGISTER. */
  async auth(params: Omit<AuthCheckParams, 'version'>): Promise<AuthCheckResult> {
    const body = await this.call(subjects.auth, 'auth', { version: CONTRACT_VERSION, ...params });
    const v = this.options.validators.authCheckResponse(body);
    if (!v.ok) throw new RegistrarUnavailable(`registrar answered the auth check with an invalid message: ${v.errors.join('; ')}`);
    if (v.value.error || !v.value.result) throw new RegistrarUnavailable(`registrar refused the auth check: ${v.value.error?.message ?? 'no result'}`);
    return v.value.result;
  }

  private async call(subject: string, method: string, params: object): Promise<unknown> {
    const id = `${this.options.routerId}.${method}.${(++this.seq).toString(36)}`;
    try {
      const reply = await this.options.bus.request(subject, Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method, params })), { timeoutMs: this.timeoutMs });
      return reply.json<unknown>();
    } catch (e) {
      throw new RegistrarUnavailable(`registrar ${method}: ${(e as Error).message}`, isBusError(e) && e.code === BusErrorCode.noResponders, { cause: e });
    }
  }
}
