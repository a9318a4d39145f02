import { createHash } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import pg from 'pg';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { ensureRevisionGuards, RevisionGuards } from './revision-guards.js';
import { ensureSqliteIdIndexes } from './sqlite-id-indexes.js';

/**
 * Every key a repository queries with a top-level equality, per collection. FerretDB 1.24 on PostgreSQL pushes
 * exactly those down, as `_jsonb->'key' @> $1`; the btree indexes `createIndexes` makes there are on
 * `(_jsonb->'key')` and cannot serve `@>`, so without a GIN index on that same expression each such query reads
 * the whole table. Keys of little selectivity (a boolean, a status of most records) are left out on purpose
 * when no query relies on them alone; `status` stays, since the sweeps look for the rare ones.
 */
export const EQUALITY_KEYS: Readonly<Record<string, readonly string[]>> = {
  images: ['_id', 'owner', 'status', 'visibility', 'name', 'checksum', 'osHashValue', 'tags', 'propPairs', 'createdSecond', 'createdMinute', 'createdTenMinutes', 'createdHour', 'createdDay', 'importLocked'],
  image_members: ['_id', 'imageId', 'memberId'],
  image_id_tombstones: ['_id'],
  tasks: ['_id', 'imageId'],
  quota_ledgers: ['_id'],
  write_locks: ['_id'],
  project_usage: ['_id'],
  audit_findings: ['_id', 'problem'],
  maintenance_state: ['_id'],
  maintenance_runs: ['_id', 'job'],
  metadef_namespaces: ['_id'],
  metadef_contents: ['_id', 'nsUid', 'kind', 'name'],
  metadef_resource_types: ['_id'],
  schema_state: ['_id'],
  image_cache_entries: ['_id', 'node', 'imageId'],
};

/**
 * Keys kept in a btree besides (PostgreSQL only): the creation minute and second, which the listing's census reads in
 * order to skip the minutes (and, in a crowded minute, the seconds) that hold no image and to count a minute's
 * records (MinuteCensus); FerretDB never queries them so.
 */
export const ORDERED_KEYS: Readonly<Record<string, readonly string[]>> = {
  images: ['createdMinute', 'createdSecond'],
};

/**
 * Keys indexed only over the records of one status (PostgreSQL partial indexes, so a write of any other record
 * never touches them): the reaper's (image-keys.ts). Each gets a GIN index for the `{ status, key }` equality
 * FerretDB pushes down (PostgreSQL proves the index's `WHERE` from the query's own status condition), and an
 * `ordered` one a btree too, which the minute census reads in order for the minutes up to a sweep's cut-off.
 */
export const STATUS_KEYS: Readonly<Record<string, readonly { status: string; key: string; ordered: boolean }[]>> = {
  images: [
    { status: 'deleted', key: 'holdsData', ordered: false },
    { status: 'deleted', key: 'deletedMinute', ordered: true },
    { status: 'pending_delete', key: 'deletedMinute', ordered: true },
    { status: 'killed', key: 'updatedMinute', ordered: true },
  ],
};

/** The name of a STATUS_KEYS index: GIN (`g`) or btree (`o`) of `key` over the records in `status`. */
export function statusIndexName(table: string, status: string, key: string, kind: 'g' | 'o'): string {
  return companionIndexName(table, `${key}@${status}`, kind);
}

/** The partial index's condition, written as FerretDB's pushed-down equality on the status. */
export function statusPredicate(status: string): string {
  return `(_jsonb -> 'status') @> ${literal(JSON.stringify(status))}::jsonb`;
}

/**
 * Collections whose records matter only while their writers run: the write locks of AtomicUpdates (lock mode). On
 * PostgreSQL their tables are UNLOGGED: a transaction that writes only such a table commits without waiting for
 * its WAL to reach the disk, so taking and dropping a lock costs no fsync (two of the three a guarded update paid:
 * PATCH 30 -> 20 ms at 100,000 images). After a crash of PostgreSQL the table comes back empty, as if every holder
 * had dropped its lock; a holder that outlived the crash is then no better guarded than one whose lock went stale.
 */
export const UNLOGGED_COLLECTIONS: readonly string[] = ['write_locks'];

/** FerretDB's per-database table naming collections (schema `<db>`, one jsonb row per collection). */
const METADATA_TABLE = '_ferretdb_database_metadata';

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * `<table>_g_<key>` (a GIN index; `_o_` for a btree of ORDERED_KEYS) cut to PostgreSQL's 63 bytes, with a hash so
 * cut names stay distinct.
 */
export function companionIndexName(table: string, key: string, kind: 'g' | 'o' = 'g'): string {
  const hash = createHash('sha256').update(`${table}\0${key}${kind === 'g' ? '' : `\0${kind}`}`).digest('hex').slice(0, 8);
  const readable = `${table}_${kind}_${key.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63 - 9);
  return `${readable}_${hash}`;
}

/**
 * The PostgreSQL tables of `collections` in FerretDB 1.x's layout (schema `<db>`, named in METADATA_TABLE), or why
 * they cannot be known.
 */
export async function ferretdbTables(client: pg.ClientBase, schema: string, collections: readonly string[]): Promise<{ collection: string; table: string }[] | string> {
  const layout = await client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = '_jsonb' AND data_type = 'jsonb'`,
    [schema, METADATA_TABLE],
  );
  if (layout.rowCount !== 1) return `no ${schema}.${METADATA_TABLE} with a jsonb _jsonb column: an unknown FerretDB layout`;
  const rows = await client.query<{ collection: string; table: string }>(
    `SELECT _jsonb->>'_id' AS collection, _jsonb->>'table' AS table FROM ${ident(schema)}.${METADATA_TABLE} WHERE _jsonb->>'_id' = ANY($1)`,
    [collections],
  );
  return rows.rows;
}

export interface CompanionIndexReport {
  /** Why nothing was done (not FerretDB on PostgreSQL, or a layout this code does not know). */
  skipped?: string;
  created: string[];
  present: number;
  /** Tables of UNLOGGED_COLLECTIONS made unlogged by this run. */
  unlogged?: string[];
  /** Collections whose writes the revision guard checks (revision-guards.ts); those it was added to by this run. */
  guarded?: string[];
  guardsCreated?: string[];
  /** Why a guard could not be made (those collections' writes take lock records). */
  guardsFailed?: string;
}

/**
 * Companion indexes (see EQUALITY_KEYS) kept in the PostgreSQL database under the FerretDB that MONGODB_URI names,
 * when that database is known (GLIMPSE_FERRETDB_POSTGRES_URL, or the local cluster Glimpse starts); on FerretDB's
 * SQLite backend (GLIMPSE_FERRETDB_SQLITE_DIR, or the local one), the `_id` index FerretDB's queries can use
 * (ensureSqliteIdIndexes). Idempotent:
 * every start checks each index by name and creates only what is missing. On MongoDB, or when the server's
 * internal layout is not FerretDB 1.x's, it says so once and goes on (every query still works, by a scan).
 */
@Injectable()
export class CompanionIndexes implements OnModuleInit {
  private readonly logger = new Logger(CompanionIndexes.name);

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @InjectConfig('mongo') private readonly mongo: ConfigOf<'mongo'>,
    private readonly guards: RevisionGuards = new RevisionGuards(),
  ) {}

  async onModuleInit(): Promise<void> {
    const report = await this.ensure();
    if (report.guardsCreated?.length) this.logger.log(`revision guards: added to ${report.guardsCreated.join(', ')}`);
    if (report.guardsFailed) this.logger.warn(`revision guards: ${report.guardsFailed}; those writes take lock records`);
    if (report.skipped) this.logger.log(`companion indexes: ${report.skipped}`);
    else if (report.created.length) this.logger.log(`companion indexes: created ${report.created.join(', ')} (${report.present} present)`);
    if (report.unlogged?.length) this.logger.log(`unlogged tables: ${report.unlogged.join(', ')}`);
  }

  async ensure(): Promise<CompanionIndexReport> {
    const url = this.mongo.postgresUrl;
    const sqliteDir = this.mongo.sqliteDir;
    const db = this.connection.db!;
    const info = await db.admin().command({ buildInfo: 1 });
    const version = typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : undefined;
    if (!version) return { skipped: 'not FerretDB (MongoDB serves its own indexes)', created: [], present: 0 };
    if (!url && !sqliteDir) {
      return { skipped: `FerretDB ${version} without GLIMPSE_FERRETDB_POSTGRES_URL or GLIMPSE_FERRETDB_SQLITE_DIR: equality queries read whole tables`, created: [], present: 0 };
    }
    if (!/^v1\./.test(version)) return { skipped: `FerretDB ${version}: only the layouts of FerretDB 1.x are known`, created: [], present: 0 };
    // The tables exist once their collections do.
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (const name of Object.keys(EQUALITY_KEYS)) {
      if (!existing.has(name)) await db.createCollection(name).catch((err: { code?: number }) => (err.code === 48 ? undefined : Promise.reject(err)));
    }
    // SQLite: FerretDB pushes down only `{ _id }`, so that is the one index it needs.
    if (!url) return ensureSqliteIdIndexes(sqliteDir!, db.databaseName, Object.keys(EQUALITY_KEYS));
    const client = new pg.Client({ connectionString: url, application_name: 'glimpse-companion-indexes' });
    // The server ending the connection mid-setup fails the query under way; the 'error' event must not end the process.
    client.on('error', (err) => this.logger.warn(`companion indexes: the PostgreSQL connection ended: ${err.message}`));
    try {
      await client.connect();
    } catch (err) {
      return { skipped: `cannot reach PostgreSQL at ${url.replace(/\/\/[^@/]*@/, '//')}: ${(err as Error).message}`, created: [], present: 0 };
    }
    try {
      return await this.ensureOn(client, db.databaseName);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async ensureOn(client: pg.Client, schema: string): Promise<CompanionIndexReport> {
    const tables = await ferretdbTables(client, schema, Object.keys(EQUALITY_KEYS));
    if (typeof tables === 'string') return { skipped: tables, created: [], present: 0 };
    const have = await client.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = $1`, [schema]);
    const names = new Set(have.rows.map((r) => r.indexname));
    const created: string[] = [];
    let present = 0;
    for (const { collection, table } of tables) {
      const wanted = [
        ...(EQUALITY_KEYS[collection] ?? []).map((key) => ({ key, kind: 'g' as const, using: `USING gin ((_jsonb -> ${literal(key)}) jsonb_path_ops)` })),
        ...(ORDERED_KEYS[collection] ?? []).map((key) => ({ key, kind: 'o' as const, using: `((_jsonb -> ${literal(key)}))` })),
      ].map((w) => ({ ...w, name: companionIndexName(table, w.key, w.kind), label: `${collection}.${w.key}${w.kind === 'o' ? ' (btree)' : ''}` }));
      for (const { status, key, ordered } of STATUS_KEYS[collection] ?? []) {
        const where = `WHERE ${statusPredicate(status)}`;
        wanted.push({ key, kind: 'g', using: `USING gin ((_jsonb -> ${literal(key)}) jsonb_path_ops) ${where}`, name: statusIndexName(table, status, key, 'g'), label: `${collection}.${key} (${status})` });
        if (ordered) wanted.push({ key, kind: 'o', using: `((_jsonb -> ${literal(key)})) ${where}`, name: statusIndexName(table, status, key, 'o'), label: `${collection}.${key} (${status}, btree)` });
      }
      for (const { using, name, label } of wanted) {
        if (names.has(name)) {
          present++;
          continue;
        }
        try {
          await client.query(`CREATE INDEX IF NOT EXISTS ${ident(name)} ON ${ident(schema)}.${ident(table)} ${using}`);
          created.push(label);
        } catch (err) {
          // Another process made it at the same moment (both passed IF NOT EXISTS): it is there all the same.
          if (!['23505', '42P07'].includes((err as { code?: string }).code ?? '')) throw err;
          present++;
        }
      }
    }
    const unlogged = await this.unlogged(client, schema, tables);
    await this.customPlans(client);
    if (created.length) await client.query(`ANALYZE ${tables.map((r) => `${ident(schema)}.${ident(r.table)}`).join(', ')}`);
    const guards = await ensureRevisionGuards(client, schema, tables);
    this.guards.mark(guards.guarded);
    return { created, present, unlogged, guarded: guards.guarded, guardsCreated: guards.created, ...(guards.failed ? { guardsFailed: guards.failed } : {}) };
  }

  /** Makes the tables of UNLOGGED_COLLECTIONS unlogged, once (a table already so is left alone). */
  private async unlogged(client: pg.Client, schema: string, tables: { collection: string; table: string }[]): Promise<string[]> {
    const done: string[] = [];
    for (const { collection, table } of tables.filter((t) => UNLOGGED_COLLECTIONS.includes(t.collection))) {
      const { rows } = await client.query<{ relpersistence: string }>(
        `SELECT c.relpersistence FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
        [schema, table],
      );
      if (rows[0]?.relpersistence !== 'p') continue;
      await client.query(`ALTER TABLE ${ident(schema)}.${ident(table)} SET UNLOGGED`);
      done.push(collection);
    }
    return done;
  }

  /**
   * FerretDB binds every value as a parameter; a generic plan made without the values would not know an equality
   * is selective, so new sessions of this database plan with real values (the local cluster is started so).
   */
  private async customPlans(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
    if (rows[0]?.plan_cache_mode === 'force_custom_plan') return;
    try {
      const db = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
      await client.query(`ALTER DATABASE ${ident(db)} SET plan_cache_mode = force_custom_plan`);
    } catch (err) {
      this.logger.warn(`companion indexes: could not set plan_cache_mode = force_custom_plan (${(err as Error).message}); set it on the server`);
    }
  }
}
