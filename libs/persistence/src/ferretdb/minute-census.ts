import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import pg from 'pg';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { companionIndexName, ferretdbTables, ident } from './companion-indexes.js';

/**
 * A loose index scan: each step is the greatest key below the last one found, one btree descent. Keys are compared
 * as jsonb; the lower bound keeps them to numbers (jsonb orders null and strings below numbers).
 */
const censusSql = (table: string) => `WITH RECURSIVE m(v, n) AS (
    (SELECT _jsonb -> 'createdMinute', 1 FROM ${table}
      WHERE _jsonb -> 'createdMinute' < to_jsonb($1::bigint) AND _jsonb -> 'createdMinute' >= to_jsonb(0)
      ORDER BY _jsonb -> 'createdMinute' DESC LIMIT 1)
    UNION ALL
    SELECT (SELECT _jsonb -> 'createdMinute' FROM ${table} i
             WHERE i._jsonb -> 'createdMinute' < m.v AND i._jsonb -> 'createdMinute' >= to_jsonb(0)
             ORDER BY i._jsonb -> 'createdMinute' DESC LIMIT 1), n + 1
      FROM m WHERE m.v IS NOT NULL AND n < $2
  ) SELECT v::text AS m FROM m WHERE v IS NOT NULL`;

/** How long after a failed look-up of its table the census looks again. */
const RETRY_MS = 30_000;

/**
 * Which creation minutes hold images, newest first, read from the btree companion index on `createdMinute`
 * (ORDERED_KEYS) in the PostgreSQL database under FerretDB: one index descent per minute, skipping any stretch of
 * empty ones. The listing's bucket walk asks it instead of querying empty minutes through FerretDB (image-listing.ts).
 * It reads keys only, never a record; `undefined` (not FerretDB on PostgreSQL, an unknown layout, the index missing,
 * the server unreachable) leaves the walk to query every minute as it would without it.
 */
@Injectable()
export class MinuteCensus implements OnModuleDestroy {
  private readonly logger = new Logger(MinuteCensus.name);
  private pool: pg.Pool | undefined;
  private found: { at: number; off: boolean; table: Promise<string | undefined> } | undefined;
  private lastWhy: string | undefined;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @InjectConfig('mongo') private readonly mongo: ConfigOf<'mongo'>,
  ) {}

  /**
   * Up to `count` creation minutes (minutes since the epoch) below `belowMinute` that hold at least one image record,
   * newest first; fewer when there are no more. Undefined when it cannot tell.
   */
  async minutesBelow(belowMinute: number, count: number): Promise<number[] | undefined> {
    const table = await this.tableName();
    if (table === undefined) return undefined;
    try {
      const { rows } = await this.pool!.query<{ m: string }>(censusSql(table), [belowMinute, count]);
      return rows.map((r) => Number(r.m));
    } catch (err) {
      // Off for RETRY_MS (the table may be gone with its database, or not readable), then looked up again.
      const why = `${(err as Error).message}; walking without it`;
      if (why !== this.lastWhy) this.logger.warn(`minute census: ${why}`);
      this.lastWhy = why;
      this.found = { at: Date.now(), off: true, table: Promise.resolve(undefined) };
      return undefined;
    }
  }

  /** PostgreSQL's plan of the census query (tests and benchmarks show it reads the btree), or undefined without one. */
  async plan(belowMinute: number, count: number): Promise<string[] | undefined> {
    const table = await this.tableName();
    if (table === undefined) return undefined;
    const { rows } = await this.pool!.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${censusSql(table)}`, [belowMinute, count]);
    return rows.map((r) => r['QUERY PLAN']);
  }

  /** The quoted table, looked up once (again RETRY_MS after it could not be: the table or its index may come later). */
  private tableName(): Promise<string | undefined> {
    const now = Date.now();
    if (!this.found || (this.found.off && this.mongo.postgresUrl && now - this.found.at > RETRY_MS)) {
      const entry = { at: now, off: false, table: Promise.resolve<string | undefined>(undefined) };
      entry.table = this.lookUp().catch((err: Error) => {
        entry.off = true;
        if (err.message !== this.lastWhy) this.logger.log(`minute census off: ${err.message}`);
        this.lastWhy = err.message;
        return undefined;
      });
      this.found = entry;
    }
    return this.found.table;
  }

  private async lookUp(): Promise<string> {
    const url = this.mongo.postgresUrl;
    if (!url) throw new Error('no PostgreSQL database known under FerretDB');
    if (!this.pool) {
      this.pool = new pg.Pool({ connectionString: url, max: 4, idleTimeoutMillis: 10_000, application_name: 'glimpse-minute-census' });
      // An idle connection the server ends (PostgreSQL restarted, a DBA's pg_terminate_backend) is an 'error' on the
      // pool: without a listener it would be an uncaught exception that ends the process. The pool drops it and
      // the next census read connects again.
      this.pool.on('error', (err) => this.logger.warn(`minute census: an idle PostgreSQL connection ended: ${err.message}`));
    }
    const schema = this.connection.db!.databaseName;
    const client = await this.pool.connect();
    try {
      const tables = await ferretdbTables(client, schema, ['images']);
      if (typeof tables === 'string') throw new Error(tables);
      const table = tables[0]?.table;
      if (!table) throw new Error('no images table yet');
      const index = companionIndexName(table, 'createdMinute', 'o');
      const { rowCount } = await client.query(`SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2`, [schema, index]);
      if (rowCount !== 1) throw new Error(`no index ${index} yet`);
      return `${ident(schema)}.${ident(table)}`;
    } finally {
      client.release();
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
  }
}
