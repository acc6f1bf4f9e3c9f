/** TableReader over PostgreSQL (node-postgres pool). Table names are checked; `where` is the operator's own SQL. */
import pg from 'pg';
import type { Row, TableReader } from './table-rows.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class PgTableReader implements TableReader {
  constructor(private readonly pool: pg.Pool) {}

  static connect(url: string): PgTableReader {
    return new PgTableReader(new pg.Pool({ connectionString: url, max: 2 }));
  }

  async rows(table: string, where?: string): Promise<Row[]> {
    if (!NAME.test(table)) throw new Error(`"${table}" is not a table name`);
    const result = await this.pool.query<Row>(`SELECT * FROM ${table}${where ? ` WHERE ${where}` : ''}`);
    return result.rows;
  }

  get db(): pg.Pool {
    return this.pool;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
