/**
 * The drouting tables of the book's example (§8.5, TC-93) as rows of Kamailio's dr_gateways and
 * dr_rules: an IVR, a fax server and a conference server, and two rules of group 0 without time
 * restriction.
 */
import type { Row } from '../../data/table-rows.js';

export const BOOK_DR_GATEWAYS: Row[] = [
  { gwid: 1, type: 0, address: '192.168.1.100:5080', strip: 0, pri_prefix: null, attrs: null, description: 'ivr' },
  { gwid: 2, type: 0, address: '192.168.1.101:5080', strip: 0, pri_prefix: null, attrs: null, description: 'fax' },
  { gwid: 3, type: 0, address: '192.168.1.102:5080', strip: 0, pri_prefix: null, attrs: null, description: 'conference' },
];

export const BOOK_DR_RULES: Row[] = [
  { ruleid: 1, groupid: '0', prefix: '1234', timerec: '', priority: 0, routeid: '0', gwlist: '1', description: 'route to ivr' },
  { ruleid: 2, groupid: '0', prefix: '5678', timerec: '', priority: 0, routeid: '0', gwlist: '2', description: 'route to fax' },
];
