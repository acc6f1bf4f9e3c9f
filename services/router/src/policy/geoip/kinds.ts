/** The GeoIP step kind (Kamailio's geoip2 module, book §6.4.4). */
import type { StepKind } from '../steps/step-kind.js';
import { geoip2Kind } from './geoip2-step.js';

export const GEOIP_KINDS: readonly StepKind[] = [geoip2Kind];

export { GEOIP_ADDRESSES, GEOIP_FIELDS, geoip2Kind, GeoIp2Step, geoip2StepSchema, type GeoIp2StepSpec, type GeoIpAddress } from './geoip2-step.js';
export { GeoIpDatabase, type GeoIpOpen, type GeoLocation } from './geoip-database.js';
