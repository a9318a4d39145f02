import { Injectable } from '@nestjs/common';
import type pg from 'pg';

/**
 * Collections every write of which bumps `rev` (`$inc: { rev: 1 }`, AtomicUpdates checks it): images and quota
 * ledgers. On FerretDB's PostgreSQL backend their tables get a trigger that refuses an update whose new `rev` is
 * not above the stored one. FerretDB 1.24 evaluates an update's filter on a read, then writes the whole document
 * back by `_id` (`UPDATE … SET _jsonb = $1 WHERE _jsonb->'_id' = $2`); of two writers that read the same revision,
 * the second's write-back finds the first's revision stored (PostgreSQL re-reads a row another transaction changed
 * before it updates it) and is refused: the update is a compare-and-set on `rev` in one round trip, with no lock
 * record to take and drop. The refused writer's command fails (FerretDB answers InternalError with the trigger's
 * message) and is run again on the fresh record.
 */
export const REVISION_GUARDED: readonly string[] = ['images', 'quota_ledgers'];

/** The trigger's message, which FerretDB passes on in its error. */
const STALE = 'glimpse_stale_revision';
/** Versioned names: a later guard gets new ones (and drops these). */
const FUNCTION = 'glimpse_revision_guard_v1';
const triggerName = (table: string) => `${table}_glimpse_rev_v1`;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Whether a write failed because the record moved on after FerretDB read it (the revision guard refused it). */
export function isStaleRevision(err: unknown): boolean {
  return typeof (err as { message?: unknown })?.message === 'string' && (err as Error).message.includes(STALE);
}

/**
 * Which collections' tables carry the guard in this process's database (CompanionIndexes fills it at start-up;
 * until then, and where it cannot, none: AtomicUpdates then takes lock records as before).
 */
@Injectable()
export class RevisionGuards {
  private readonly guarded = new Set<string>();

  covers(collection: string): boolean {
    return this.guarded.has(collection);
  }

  /** @internal CompanionIndexes, once the triggers are there. */
  mark(collections: readonly string[]): void {
    for (const c of collections) this.guarded.add(c);
  }
}

/**
 * Makes the guard function in `schema` and its trigger on each table of `tables` that is of REVISION_GUARDED,
 * where missing (idempotent; a racing process that made one first is fine). Resolves with the collections whose
 * table has its trigger afterwards, those this run gave one, and why one could not be made.
 */
export async function ensureRevisionGuards(
  client: pg.Client,
  schema: string,
  tables: readonly { collection: string; table: string }[],
): Promise<{ guarded: string[]; created: string[]; failed?: string }> {
  const mine = tables.filter((t) => REVISION_GUARDED.includes(t.collection));
  const present = async () => {
    const { rows } = await client.query<{ tgname: string }>(
      `SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND NOT t.tgisinternal`,
      [schema],
    );
    const names = new Set(rows.map((r) => r.tgname));
    return mine.filter((t) => names.has(triggerName(t.table))).map((t) => t.collection);
  };
  const before = await present();
  const missing = mine.filter((t) => !before.includes(t.collection));
  let failed: string | undefined;
  if (missing.length) {
    const fn = `${ident(schema)}.${ident(FUNCTION)}`;
    try {
      // A racing process's CREATE OR REPLACE or CREATE TRIGGER may fail this one's ("tuple concurrently updated",
      // "already exists"): what counts is what is there afterwards.
      await client.query(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF COALESCE((NEW._jsonb ->> 'rev')::numeric, -1) <= COALESCE((OLD._jsonb ->> 'rev')::numeric, -1) THEN
    RAISE EXCEPTION '${STALE}' USING ERRCODE = '40001';
  END IF;
  RETURN NEW;
END $$`).catch(() => undefined);
      for (const { table } of missing) {
        await client.query(`CREATE TRIGGER ${ident(triggerName(table))} BEFORE UPDATE ON ${ident(schema)}.${ident(table)} FOR EACH ROW EXECUTE FUNCTION ${fn}()`)
          .catch((err: Error) => (failed = err.message));
      }
    } catch (err) {
      failed = (err as Error).message;
    }
  }
  const guarded = await present();
  return { guarded, created: guarded.filter((c) => !before.includes(c)), ...(guarded.length < mine.length && failed ? { failed } : {}) };
}
