/**
 * Subscribers from Kamailio's `subscriber` table (auth_db), cached in memory: the whole table is
 * read at start and on `reload()`, a user missing from the cache is asked for once (a miss is
 * remembered briefly, so a scan of unknown names does not become a query per request), and while
 * PostgreSQL is down the cached rows keep serving. The admin operations follow kamctl `add`, `rm`
 * and `passwd`: the plain password (unless told not to, kamctl STORE_PLAINTEXT_PW=0) and the hashes
 * with the domain as realm, `ha1_sha256` included (added by migrations/001-auth-location.sql).
 */
import type pg from 'pg';
import { DigestAlgorithm } from '@sipmesh/runtime';
import { computeHa1 } from './digest.js';
import { makeSubscriber, subscriberKey, type CredentialSource, type Subscriber } from './credential-source.js';

export const SubscriberStoreErrorCode = {
  database: 'REGISTRAR_ERR_SUBSCRIBER_DATABASE',
  exists: 'REGISTRAR_ERR_SUBSCRIBER_EXISTS',
  notFound: 'REGISTRAR_ERR_SUBSCRIBER_NOT_FOUND',
  invalid: 'REGISTRAR_ERR_SUBSCRIBER_INVALID',
} as const;
export type SubscriberStoreErrorCode = (typeof SubscriberStoreErrorCode)[keyof typeof SubscriberStoreErrorCode];

export interface SubscriberStoreError {
  readonly code: SubscriberStoreErrorCode;
  readonly reason: string;
}

export type SubscriberStoreResult<T = void> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SubscriberStoreError };

export interface PgCredentialOptions {
  /** Kamailio auth_db use_domain: false looks users up by name alone (the lowest id wins). */
  readonly useDomain: boolean;
  /** How long a user the table does not have is remembered as missing; default 5000 ms. */
  readonly negativeCacheMs?: number;
  /** Keep the plain password in `password` (kamctl STORE_PLAINTEXT_PW); default true. */
  readonly storePassword?: boolean;
  /** Default `subscriber`. */
  readonly table?: string;
  /** Told about database failures that were absorbed (served from the cache). */
  readonly onError?: (error: Error) => void;
  /** Monotonic ms for the negative cache; default performance.now. */
  readonly now?: () => number;
}

interface SubscriberRow {
  id: number;
  username: string;
  domain: string;
  password: string | null;
  ha1: string | null;
  ha1b: string | null;
  /** Absent in a table made by kamdbctl alone. */
  ha1_sha256?: string | null;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class PgCredentialSource implements CredentialSource {
  private cache = new Map<string, Subscriber>();
  private readonly missing = new Map<string, number>();
  private readonly table: string;
  private readonly negativeCacheMs: number;
  private readonly now: () => number;

  /** The pool is the caller's: it is neither opened nor closed here. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgCredentialOptions,
  ) {
    const table = options.table ?? 'subscriber';
    if (!TABLE_NAME.test(table)) throw new RangeError(`"${table}" is not a table name`);
    this.table = table;
    this.negativeCacheMs = options.negativeCacheMs ?? 5000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Rows in the cache. */
  get size(): number {
    return this.cache.size;
  }

  /** Reads the whole table into the cache; on failure the old cache stays. Returns the row count. */
  async reload(): Promise<SubscriberStoreResult<number>> {
    let rows: SubscriberRow[];
    try {
      rows = (await this.pool.query<SubscriberRow>(`SELECT * FROM ${this.table} ORDER BY id`)).rows;
    } catch (e) {
      return dbFailure(e);
    }
    const next = new Map<string, Subscriber>();
    for (const row of rows) {
      const key = subscriberKey(row.username, row.domain, this.options.useDomain);
      if (!next.has(key)) next.set(key, fromRow(row));
    }
    this.cache = next;
    this.missing.clear();
    return { ok: true, value: next.size };
  }

  async find(username: string, domain: string): Promise<Subscriber | undefined> {
    const key = subscriberKey(username, domain, this.options.useDomain);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const missingSince = this.missing.get(key);
    if (missingSince !== undefined && this.now() - missingSince < this.negativeCacheMs) return undefined;
    this.missing.delete(key);
    let row: SubscriberRow | undefined;
    try {
      const result = this.options.useDomain
        ? await this.pool.query<SubscriberRow>(`SELECT * FROM ${this.table} WHERE username = $1 AND lower(domain) = lower($2) ORDER BY id LIMIT 1`, [username, domain])
        : await this.pool.query<SubscriberRow>(`SELECT * FROM ${this.table} WHERE username = $1 ORDER BY id LIMIT 1`, [username]);
      row = result.rows[0];
    } catch (e) {
      // database down: what the cache does not have is unknown for now (and asked again later)
      this.options.onError?.(e as Error);
    }
    if (!row) {
      this.rememberMissing(key);
      return undefined;
    }
    const subscriber = fromRow(row);
    this.cache.set(key, subscriber);
    return subscriber;
  }

  /** kamctl add: a new subscriber; refused when it exists. */
  async add(username: string, domain: string, password: string): Promise<SubscriberStoreResult> {
    const invalid = checkAccount(username, domain, password);
    if (invalid) return invalid;
    const s = this.secrets(username, domain, password);
    let rows: SubscriberRow[];
    try {
      rows = (
        await this.pool.query<SubscriberRow>(
          `INSERT INTO ${this.table} (username, domain, password, ha1, ha1b, ha1_sha256) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (username, domain) DO NOTHING RETURNING *`,
          [username, domain, s.password, s.ha1, s.ha1b, s.ha1Sha256],
        )
      ).rows;
    } catch (e) {
      return dbFailure(e);
    }
    const row = rows[0];
    if (!row) return storeFailure(SubscriberStoreErrorCode.exists, `${username}@${domain} exists`);
    const key = subscriberKey(username, domain, this.options.useDomain);
    this.missing.delete(key);
    // without domains the lowest id answers for the name; an older row of another domain stays
    if (this.options.useDomain || !this.cache.has(key)) this.cache.set(key, fromRow(row));
    return { ok: true, value: undefined };
  }

  /** kamctl rm. */
  async remove(username: string, domain: string): Promise<SubscriberStoreResult> {
    let rows: SubscriberRow[];
    try {
      rows = (await this.pool.query<SubscriberRow>(`DELETE FROM ${this.table} WHERE username = $1 AND lower(domain) = lower($2) RETURNING *`, [username, domain])).rows;
    } catch (e) {
      return dbFailure(e);
    }
    if (rows.length === 0) return storeFailure(SubscriberStoreErrorCode.notFound, `no subscriber ${username}@${domain}`);
    const key = subscriberKey(username, domain, this.options.useDomain);
    const cached = this.cache.get(key);
    if (cached && cached.domain.toLowerCase() === domain.toLowerCase()) this.cache.delete(key);
    return { ok: true, value: undefined };
  }

  /** kamctl passwd: new password and hashes. */
  async setPassword(username: string, domain: string, password: string): Promise<SubscriberStoreResult> {
    const invalid = checkAccount(username, domain, password);
    if (invalid) return invalid;
    const s = this.secrets(username, domain, password);
    let rows: SubscriberRow[];
    try {
      rows = (
        await this.pool.query<SubscriberRow>(
          `UPDATE ${this.table} SET password = $3, ha1 = $4, ha1b = $5, ha1_sha256 = $6
           WHERE username = $1 AND lower(domain) = lower($2) RETURNING *`,
          [username, domain, s.password, s.ha1, s.ha1b, s.ha1Sha256],
        )
      ).rows;
    } catch (e) {
      return dbFailure(e);
    }
    const row = rows[0];
    if (!row) return storeFailure(SubscriberStoreErrorCode.notFound, `no subscriber ${username}@${domain}`);
    const key = subscriberKey(username, domain, this.options.useDomain);
    const cached = this.cache.get(key);
    if (this.options.useDomain || !cached || cached.domain.toLowerCase() === domain.toLowerCase()) this.cache.set(key, fromRow(row));
    return { ok: true, value: undefined };
  }

  /** The columns kamctl writes; the realm is the domain (kamctl's SIP_DOMAIN). */
  private secrets(username: string, domain: string, password: string): { password: string; ha1: string; ha1b: string; ha1Sha256: string } {
    return {
      password: this.options.storePassword === false ? '' : password,
      ha1: computeHa1(DigestAlgorithm.md5, username, domain, password),
      ha1b: computeHa1(DigestAlgorithm.md5, `${username}@${domain}`, domain, password),
      ha1Sha256: computeHa1(DigestAlgorithm.sha256, username, domain, password),
    };
  }

  private rememberMissing(key: string): void {
    // bounded: a scan of random names must not grow the map without end
    if (this.missing.size >= 10_000) {
      const oldest = this.missing.keys().next();
      if (!oldest.done) this.missing.delete(oldest.value);
    }
    this.missing.set(key, this.now());
  }
}

function fromRow(row: SubscriberRow): Subscriber {
  return makeSubscriber({ username: row.username, domain: row.domain, password: row.password, ha1: row.ha1, ha1b: row.ha1b, ha1Sha256: row.ha1_sha256 });
}

function checkAccount(username: string, domain: string, password: string): SubscriberStoreResult | undefined {
  // a '@' in the user part would make ha1b ambiguous (the digest username is split at the first '@')
  if (username === '' || username.includes('@')) return storeFailure(SubscriberStoreErrorCode.invalid, `bad username "${username}"`);
  if (domain === '') return storeFailure(SubscriberStoreErrorCode.invalid, 'empty domain');
  if (password === '') return storeFailure(SubscriberStoreErrorCode.invalid, 'empty password');
  return undefined;
}

function dbFailure(e: unknown): { ok: false; error: SubscriberStoreError } {
  return storeFailure(SubscriberStoreErrorCode.database, (e as Error).message);
}

function storeFailure(code: SubscriberStoreErrorCode, reason: string): { ok: false; error: SubscriberStoreError } {
  return { ok: false, error: { code, reason } };
}
