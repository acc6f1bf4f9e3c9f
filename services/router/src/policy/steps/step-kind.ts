/**
 * A kind of policy step as the routes file names it (`rules`, `dispatcher`, `default`, `dialplan`,
 * …): its key, the JSON schema of its settings, and how to build a step from them. Building runs
 * when the routes file is (re)loaded: data is read and indexed then, never per request.
 */
import type { ContractValidators } from '@sipmesh/contracts';
import type { TableReader } from '../../data/table-rows.js';
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import type { PolicyStep } from '../pipeline/route-context.js';
import type { Authenticator } from '../auth/auth-step.js';
import type { LocationService } from '../default/location.js';
import type { CallLimitStore } from '../call-limit/call-limit.js';

export interface StepBuildContext {
  /** Names the step in errors: `<policy> step <n>`. */
  readonly where: string;
  /** Directory of the routes file: relative file names resolve against it. */
  readonly baseDir: string;
  readonly dispatcher: Dispatcher;
  readonly validators: ContractValidators;
  /** The router database, when `database.url` is set. */
  readonly db: TableReader | undefined;
  /**
   * Makes loaded data reachable by admin commands (`dialplan.translate`, `mtree.match`, …):
   * `kind` names the module, `key` the instance (dpid list, tree name, lcr id).
   */
  readonly expose: (kind: string, key: string, data: unknown) => void;
  /** The registrar over the bus (location lookups, digest checks); absent in tests without one. */
  readonly registrar: (LocationService & Authenticator) | undefined;
  /** Where rules with a call `limit` count calls; absent in tests without one. */
  readonly calls: CallLimitStore | undefined;
}

export type StepBuild = { ok: true; step: PolicyStep } | { ok: false; errors: string[] };

export interface StepKind {
  /** Key in a `steps` entry of the routes file. */
  readonly key: string;
  /** JSON schema (draft 2020-12) of the settings under that key. */
  readonly schema: object;
  build(spec: unknown, ctx: StepBuildContext): StepBuild | Promise<StepBuild>;
}
