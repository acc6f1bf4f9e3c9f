/** The dynamic routing step kind (Kamailio's drouting module, book §8.5). */
import type { StepKind } from '../steps/step-kind.js';
import { droutingKind } from './drouting-step.js';

export const DROUTING_KINDS: readonly StepKind[] = [droutingKind];

export { createDroutingKind, droutingKind, DroutingStep, type DroutingKindOptions, type DroutingStepSpec } from './drouting-step.js';
export { DrTable, type DrLookup, type DrRequest, type DrRoute, type DrRule, type DrRows, type DrTableOptions } from './drouting.js';
export { drGatewayUri, type DrGateway } from './dr-gateway.js';
export { DR_SORT_ORDERS, orderGwList, parseGwList, type DrSortOrder } from './gwlist.js';
export { parseTimeRec, timeRecMatches, type TimeRec } from './timerec.js';
export { WallClock } from './wall-clock.js';
