/** The prefix routing step kinds (Kamailio's lcr, mtree and prefix_route modules, book §8.1, §8.3, §8.4). */
import type { StepKind } from '../steps/step-kind.js';
import { lcrKind } from './lcr-step.js';
import { mtreeKind } from './mtree-step.js';
import { prefixRouteKind } from './prefix-route-step.js';

export const PREFIX_KINDS: readonly StepKind[] = [lcrKind, mtreeKind, prefixRouteKind];

export { createLcrKind, lcrKind, type LcrKindOptions } from './lcr-step.js';
export { mtreeKind } from './mtree-step.js';
export { prefixRouteKind } from './prefix-route-step.js';
export { LcrTable, type LcrChoice, type LcrEnvironment, type LcrRequest, type LcrRows } from './lcr.js';
export { lcrGatewayUris, type LcrGateway } from './lcr-gateway.js';
export { MTree, mtMatchModeOf, type MtMatch, type MtMatchMode } from './mtree.js';
export { PrefixRouteTable, type PrefixRouteMatch } from './prefix-route.js';
