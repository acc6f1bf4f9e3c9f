/**
 * The lcr tables of the book's example (§8.3, TC-89/90), as rows of Kamailio's lcr_gw, lcr_rule
 * and lcr_rule_target: gw2 has a hostname, so its R-URI names gw.com and its address becomes the
 * destination; rule 5 (49800) has two targets of different priority.
 */
import type { Row } from '../../data/table-rows.js';

export const BOOK_GATEWAYS: Row[] = [
  { id: 1, lcr_id: 1, gw_name: 'gw1', ip_addr: '10.1.1.101', hostname: null, port: 5060, uri_scheme: 1, transport: null, strip: null, prefix: null },
  { id: 2, lcr_id: 1, gw_name: 'gw2', ip_addr: '10.1.1.102', hostname: 'gw.com', port: 5070, uri_scheme: 1, transport: null, strip: null, prefix: null },
  { id: 3, lcr_id: 1, gw_name: 'gw3', ip_addr: '10.1.1.103', hostname: null, port: 5060, uri_scheme: 1, transport: null, strip: null, prefix: null },
];

export const BOOK_RULES: Row[] = [
  { id: 1, lcr_id: 1, prefix: '44', from_uri: null, stopper: 0, enabled: 1 },
  { id: 2, lcr_id: 1, prefix: '442', from_uri: null, stopper: 0, enabled: 1 },
  { id: 3, lcr_id: 1, prefix: '443', from_uri: null, stopper: 0, enabled: 1 },
  { id: 4, lcr_id: 1, prefix: '49', from_uri: null, stopper: 0, enabled: 1 },
  { id: 5, lcr_id: 1, prefix: '49800', from_uri: null, stopper: 0, enabled: 1 },
  { id: 6, lcr_id: 1, prefix: '491', from_uri: null, stopper: 0, enabled: 1 },
];

export const BOOK_TARGETS: Row[] = [
  { lcr_id: 1, rule_id: 1, gw_id: 1, priority: 10, weight: 1 },
  { lcr_id: 1, rule_id: 2, gw_id: 2, priority: 10, weight: 1 },
  { lcr_id: 1, rule_id: 3, gw_id: 2, priority: 10, weight: 1 },
  { lcr_id: 1, rule_id: 4, gw_id: 2, priority: 10, weight: 1 },
  { lcr_id: 1, rule_id: 5, gw_id: 1, priority: 10, weight: 1 },
  { lcr_id: 1, rule_id: 5, gw_id: 3, priority: 20, weight: 1 },
  { lcr_id: 1, rule_id: 6, gw_id: 1, priority: 10, weight: 1 },
];
