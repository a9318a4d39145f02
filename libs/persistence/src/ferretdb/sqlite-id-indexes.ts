import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The expression FerretDB 1.24's SQLite backend compares a pushed-down `{ _id }` with (metadata.IDColumn). */
const ID_EXPRESSION = `_ferretdb_sjson->'$._id'`;

export interface SqliteIdIndexReport {
  skipped?: string;
  created: string[];
  present: number;
}

/**
 * On FerretDB's SQLite backend the only query pushed down is a filter of exactly `{ _id }`, as
 * `WHERE _ferretdb_sjson->'$._id' = ?`; the unique index FerretDB makes is on `_ferretdb_sjson->"_id"`, an
 * expression SQLite does not match with it, so each by-id lookup reads the whole table. This adds, per collection
 * table, an index on the queried expression (`<table>_g__id`), through Debian's sqlite3 shell: idempotent
 * (IF NOT EXISTS), and a database file or layout it does not know is reported, not fatal.
 */
export async function ensureSqliteIdIndexes(dir: string, dbName: string, collections: readonly string[]): Promise<SqliteIdIndexReport> {
  const file = join(dir, `${dbName}.sqlite`);
  if (!existsSync(file)) return { skipped: `no SQLite database file ${file}`, created: [], present: 0 };
  const sql = async (statement: string) => (await run('sqlite3', ['-bail', '-cmd', '.timeout 10000', '-json', file, statement])).stdout;
  let tables: Array<{ name: string; table_name: string; has: number }>;
  try {
    const out = await sql(
      `SELECT c.name, c.table_name, EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || '_g__id') AS has FROM _ferretdb_collections c`,
    );
    tables = out.trim() ? (JSON.parse(out) as typeof tables) : [];
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') return { skipped: "the sqlite3 shell is not installed (Debian: sqlite3): by-id lookups read whole tables", created: [], present: 0 };
    return { skipped: `not FerretDB 1.x's SQLite layout in ${file}: ${(e.stderr || e.message).trim()}`, created: [], present: 0 };
  }
  const wanted = new Set(collections);
  const missing = tables.filter((t) => wanted.has(t.name) && !t.has);
  if (missing.length) {
    await sql(missing.map((t) => `CREATE INDEX IF NOT EXISTS ${ident(`${t.table_name}_g__id`)} ON ${ident(t.table_name)} (${ID_EXPRESSION});`).join('\n'));
  }
  return { created: missing.map((t) => `${t.name}._id`), present: tables.filter((t) => wanted.has(t.name) && t.has).length };
}
