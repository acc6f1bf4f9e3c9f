/** Every step kind the routes file knows, in the order the reference lists them. */
import { CARRIERROUTE_KINDS } from '../carrierroute/kinds.js';
import { DROUTING_KINDS } from '../drouting/kinds.js';
import { GEOIP_KINDS } from '../geoip/kinds.js';
import { PREFIX_KINDS } from '../prefix/kinds.js';
import { SECURITY_KINDS } from '../security/security-kinds.js';
import { TRANSLATE_KINDS } from '../translate/kinds.js';
import { BUILTIN_KINDS } from './builtin-kinds.js';
import { uacTrunkKind } from '../trunk/uac-trunk-step.js';
import type { StepKind } from './step-kind.js';

export const STEP_KINDS: readonly StepKind[] = [...BUILTIN_KINDS, ...TRANSLATE_KINDS, ...PREFIX_KINDS, ...DROUTING_KINDS, ...CARRIERROUTE_KINDS, ...SECURITY_KINDS, ...GEOIP_KINDS, uacTrunkKind];
export type { StepBuild, StepBuildContext, StepKind } from './step-kind.js';
