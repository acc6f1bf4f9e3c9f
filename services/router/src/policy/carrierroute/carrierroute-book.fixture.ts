/**
 * The carrierroute tables of the book's example (§8.8, TC-98): carriers mobile (1) and unicom (2),
 * routing domains prepaid (1) and postpaid (2, no rows). mobile/prepaid splits 137 50/50 between
 * .120 and .121 and sends every other number to .122; unicom/prepaid sends 133 to 192.168.2.100 and
 * the rest to .101. TC-98 adds prefix 139 blocklisted by an empty rewrite_host (BLOCKED_139).
 */
import type { Row } from '../../data/table-rows.js';

export const BOOK_CARRIERS: Row[] = [
  { id: 1, carrier: 'mobile' },
  { id: 2, carrier: 'unicom' },
];

export const BOOK_DOMAINS: Row[] = [
  { id: 1, domain: 'prepaid' },
  { id: 2, domain: 'postpaid' },
];

function route(id: number, carrier: number, scanPrefix: string, prob: number, rewriteHost: string): Row {
  return { id, carrier, domain: 1, scan_prefix: scanPrefix, flags: 0, mask: 0, prob, strip: 0, rewrite_host: rewriteHost, rewrite_prefix: '', rewrite_suffix: '', description: null };
}

export const BOOK_ROUTES: Row[] = [
  route(1, 1, '137', 0.5, '192.168.1.120:9999'),
  route(2, 1, '137', 0.5, '192.168.1.121:9999'),
  route(3, 1, '', 1, '192.168.1.122:9999'),
  route(4, 2, '133', 1, '192.168.2.100:5060'),
  route(5, 2, '', 1, '192.168.2.101:5060'),
];

export const BLOCKED_139: Row = { ...route(6, 1, '139', 1, ''), description: 'blocklisted' };
