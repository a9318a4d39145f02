import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import pg from 'pg';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { companionIndexName, ferretdbTables, ident, literal, statusIndexName, statusPredicate } from './companion-indexes.js';

/**
 * A loose index scan: each step is the greatest key below the last one found, one btree descent; up to $2 keys
 * below $1 and at least $3. Keys are compared as jsonb; the lower bound keeps them to numbers (jsonb orders null
 * and strings below numbers). `where`: the condition of a partial index (STATUS_KEYS), repeated so PostgreSQL may
 * use that index. `counted`: each key's records besides, counted up to $4 (see minutesBelow).
 */
const censusSql = (table: string, key = 'createdMinute', where = '', counted = false) => {
  const k = (alias = '') => `${alias}_jsonb -> ${literal(key)}`;
  const also = (alias = '') => (where ? ` AND ${where.replaceAll('_jsonb', `${alias}_jsonb`)}` : '');
  // The key between two equal bounds, in index order: so PostgreSQL scans the index and stops at the bound, where
  // an equality is planned as a bitmap of every entry of the key first (a crowded minute's 20,000).
  const records = counted
    ? `, (SELECT count(*) FROM (SELECT 1 FROM ${table} c WHERE ${k('c.')} <= m.v AND ${k('c.')} >= m.v${also('c.')}
         ORDER BY ${k('c.')} DESC LIMIT $4) x)::int AS records`
    : '';
  return `WITH RECURSIVE m(v, n) AS (
    (SELECT ${k()}, 1 FROM ${table}
      WHERE ${k()} < to_jsonb($1::bigint) AND ${k()} >= to_jsonb($3::bigint)${also()}
      ORDER BY ${k()} DESC LIMIT 1)
    UNION ALL
    SELECT (SELECT ${k('i.')} FROM ${table} i
             WHERE ${k('i.')} < m.v AND ${k('i.')} >= to_jsonb($3::bigint)${also('i.')}
             ORDER BY ${k('i.')} DESC LIMIT 1), n + 1
      FROM m WHERE m.v IS NOT NULL AND n < $2
  ) SELECT v::text AS m${records} FROM m WHERE v IS NOT NULL`;
};

/** A creation minute that holds records, and how many (counted up to the bound asked). */
export interface CensusMinute {
  minute: number;
  records: number;
}

/** How long after a failed look-up of its table the census looks again. */
const RETRY_MS = 30_000;

/**
 * Which creation minutes hold images, newest first, read from the btree companion index on `createdMinute`
 * (ORDERED_KEYS) in the PostgreSQL database under FerretDB: one index descent per minute, skipping any stretch of
 * empty ones; with each minute, its records counted up to a bound (so the walk knows a minute crowded by a burst of
 * creates), and within such a minute which seconds hold images (the btree on `createdSecond`). The listing's bucket
 * walk asks it instead of querying empty minutes through FerretDB (image-listing.ts), and walks a crowded minute
 * second by second. It reads index entries only, never a record's document; `undefined` (not FerretDB on
 * PostgreSQL, an unknown layout, the index missing, the server unreachable) leaves the walk to query every minute as
 * it would without it (and to read a crowded minute whole).
 */
@Injectable()
export class MinuteCensus implements OnModuleDestroy {
  private readonly logger = new Logger(MinuteCensus.name);
  private pool: pg.Pool | undefined;
  private found: { at: number; off: boolean; table: Promise<string | undefined> } | undefined;
  private lastWhy: string | undefined;
  /** The images' table as FerretDB names it (unquoted), once looked up. */
  private plainTable: string | undefined;
  private readonly indexes = new Map<string, Promise<boolean>>();

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @InjectConfig('mongo') private readonly mongo: ConfigOf<'mongo'>,
  ) {}

  /**
   * Up to `count` creation minutes (minutes since the epoch) below `belowMinute` that hold at least one image record,
   * newest first, each with its records counted up to `countUpTo` (0: not counted); fewer when there are no more.
   * Undefined when it cannot tell.
   */
  async minutesBelow(belowMinute: number, count: number, countUpTo = 0): Promise<CensusMinute[] | undefined> {
    const table = await this.tableName();
    if (table === undefined) return undefined;
    const rows = await this.read(censusSql(table, undefined, undefined, true), [belowMinute, count, 0, countUpTo]);
    return rows?.map((r) => ({ minute: Number(r.m), records: r.records! }));
  }

  /**
   * The seconds (since the epoch) from `fromSecond` up to below `belowSecond` that hold at least one image record,
   * newest first, at most `count`, from the btree on `createdSecond`. Undefined when it cannot tell (as
   * minutesBelow, or that key's btree or GIN index missing: a walk by seconds needs both).
   */
  async secondsBelow(belowSecond: number, fromSecond: number, count = 60): Promise<number[] | undefined> {
    const table = await this.tableName();
    if (table === undefined) return undefined;
    const indexes = [companionIndexName(this.plainTable!, 'createdSecond', 'o'), companionIndexName(this.plainTable!, 'createdSecond')];
    if (!(await Promise.all(indexes.map((name) => this.hasIndex(name)))).every(Boolean)) return undefined;
    return (await this.read(censusSql(table, 'createdSecond'), [belowSecond, count, fromSecond]))?.map((r) => Number(r.m));
  }

  private async read(sql: string, params: unknown[]): Promise<{ m: string; records?: number }[] | undefined> {
    try {
      return (await this.pool!.query<{ m: string; records?: number }>(sql, params)).rows;
    } catch (err) {
      // Off for RETRY_MS (the table may be gone with its database, or not readable), then looked up again.
      const why = `${(err as Error).message}; walking without it`;
      if (why !== this.lastWhy) this.logger.warn(`minute census: ${why}`);
      this.lastWhy = why;
      this.found = { at: Date.now(), off: true, table: Promise.resolve(undefined) };
      this.indexes.clear();
      return undefined;
    }
  }

  /**
   * Up to `count` minutes below `belowMinute` in which `key` (a minute key of STATUS_KEYS: `deletedMinute`,
   * `updatedMinute`) falls for at least one image in `status`, newest first, from that status's partial btree: the
   * reaper's sweep queries only those minutes. Undefined when it cannot tell (as minutesBelow, or that index missing).
   */
  async statusMinutesBelow(status: string, key: string, belowMinute: number, count: number): Promise<number[] | undefined> {
    const table = await this.tableName();
    if (table === undefined || !(await this.hasIndex(statusIndexName(this.plainTable!, status, key, 'o')))) return undefined;
    return (await this.read(censusSql(table, key, statusPredicate(status)), [belowMinute, count, 0]))?.map((r) => Number(r.m));
  }

  /**
   * PostgreSQL's plan of the census query (tests and benchmarks show it reads the btree), or undefined without one;
   * `of`: the census of a status's minute key (statusMinutesBelow); else the minutes', each counted up to `countUpTo`.
   */
  async plan(belowMinute: number, count: number, of?: { status: string; key: string }, countUpTo = 0): Promise<string[] | undefined> {
    const table = await this.tableName();
    if (table === undefined) return undefined;
    const sql = of ? censusSql(table, of.key, statusPredicate(of.status)) : censusSql(table, undefined, undefined, true);
    const params = of ? [belowMinute, count, 0] : [belowMinute, count, 0, countUpTo];
    const { rows } = await this.pool!.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    return rows.map((r) => r['QUERY PLAN']);
  }

  /** Whether the images' table has that index (asked once per name while the table stays found). */
  private hasIndex(name: string): Promise<boolean> {
    let known = this.indexes.get(name);
    if (!known) {
      known = this.pool!.query(`SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2`, [this.connection.db!.databaseName, name])
        .then((r) => r.rowCount === 1, () => false);
      this.indexes.set(name, known);
      // Missing now, perhaps made later (another process's start): asked again after RETRY_MS.
      void known.then((yes) => yes || setTimeout(() => this.indexes.delete(name), RETRY_MS).unref());
    }
    return known;
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
      this.plainTable = table;
      return `${ident(schema)}.${ident(table)}`;
    } finally {
      client.release();
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
  }
}
