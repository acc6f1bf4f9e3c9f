/** The carrier routing step kind (Kamailio's carrierroute module, book §8.8). */
import type { StepKind } from '../steps/step-kind.js';
import { carrierrouteKind } from './carrierroute-step.js';

export const CARRIERROUTE_KINDS: readonly StepKind[] = [carrierrouteKind];

export { carrierrouteKind, createCarrierrouteKind, CR_USER_SOURCES, type CarrierrouteStepSpec, type CrUserSource } from './carrierroute-step.js';
export { CarrierRouteTables, CR_MATCH_MODES, type CarrierRouteRows, type CrCarrier, type CrDomain, type CrFailureRule, type CrMatchMode, type CrRule, type CrRuleGroup } from './carrier-tables.js';
export { crNextDomain, crRoute, CR_NO_ROUTE, type CrRequest, type CrRouteResult } from './cr-route.js';
export { CR_HASH_SOURCES, type CrHashSource } from './hash-source.js';
