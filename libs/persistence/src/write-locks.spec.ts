import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LockDoc, type LockRecords, STALE_LOCK_MS, WriteLocks } from './write-locks.js';

/** One round trip to the server: every operation of the fake takes one turn of the event loop. */
const trip = () => new Promise<void>((resolve) => setImmediate(resolve));
const stale = () => new Date(Date.now() - STALE_LOCK_MS - 1_000);

/**
 * Lock records kept as FerretDB 1.24 keeps them: inserts refuse a duplicate _id atomically, but deleteOne finds
 * the matching record first and deletes by _id a few round trips later (`lags`, per delete in call order), when
 * the record under that _id may be another one (handler/msg_delete.go: query, close, DeleteAll by _id).
 */
function ferretLike(lags: number[] = []) {
  const records = new Map<string, LockDoc>();
  const matches = (record: LockDoc | undefined, filter: Partial<LockDoc>) =>
    record !== undefined && Object.entries(filter).every(([k, v]) => record[k as keyof LockDoc] === v);
  let deletes = 0;
  const collection = {
    async insertOne(record: LockDoc) {
      await trip();
      if (records.has(record._id)) throw Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
      records.set(record._id, { ...record });
      return { acknowledged: true, insertedId: record._id };
    },
    async findOne(filter: Partial<LockDoc>) {
      await trip();
      const record = records.get(filter._id!);
      return matches(record, filter) ? { ...record! } : null;
    },
    async deleteOne(filter: Partial<LockDoc>) {
      const lag = lags[deletes++] ?? 0;
      await trip();
      if (!matches(records.get(filter._id!), filter)) return { acknowledged: true, deletedCount: 0 };
      for (let i = 0; i < lag; i++) await trip();
      return { acknowledged: true, deletedCount: records.delete(filter._id!) ? 1 : 0 };
    },
    find(filter: { at: { $lt: Date } }) {
      return (async function* () {
        for (const record of [...records.values()]) if (record.breaks !== undefined && record.at < filter.at.$lt) yield { ...record };
      })();
    },
  };
  return { records, collection: collection as unknown as LockRecords };
}

/** Writers (one WriteLocks each, as processes) take `key` at once and stay inside for a few round trips; resolves with the most inside at once. */
async function contend(collection: LockRecords, key: string, writers: number): Promise<number> {
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      const release = await new WriteLocks(collection).acquire(key, Date.now() + 30_000);
      most = Math.max(most, ++inside);
      for (let i = 0; i < 10; i++) await trip();
      inside--;
      await release();
    }),
  );
  return most;
}

describe('WriteLocks: breaking a stale lock where deleteOne is a find, then a delete by _id', () => {
  it('of three writers breaking one stale lock together, the one that broke it is inside alone: a late breaker does not delete its lock', async () => {
    // The first breaker's delete lands at once, the others' three round trips after their find: on the old rule
    // (every breaker deletes `{_id, token}`) the second deleted the first's fresh lock and went in beside it.
    const { records, collection } = ferretLike([1, 4, 4]);
    records.set('images:a', { _id: 'images:a', token: 'dead', at: stale() });
    assert.equal(await contend(collection, 'images:a', 3), 1);
    assert.deepEqual([...records.keys()], [], 'no lock or break record is left');
  });

  it('a breaker that died holding its break record does not block the lock for good: the stale break record is broken by the same rule', async () => {
    const { records, collection } = ferretLike();
    records.set('images:b', { _id: 'images:b', token: 'dead', at: stale() });
    records.set('images:b:break:dead', { _id: 'images:b:break:dead', token: 'dead-breaker', at: stale(), breaks: 'images:b', of: 'dead' });
    assert.equal(await contend(collection, 'images:b', 4), 1);
    assert.deepEqual([...records.keys()], []);
  });

  it('removes the stale break records whose lock is gone, and keeps those still needed', async () => {
    const { records, collection } = ferretLike();
    const breakOf = (id: string, of: string, at: Date): LockDoc => ({ _id: `${id}:break:${of}`, token: 'b', at, breaks: id, of });
    records.set('images:c:break:gone', breakOf('images:c', 'gone', stale())); // its breaker died after deleting the lock
    records.set('images:d', { _id: 'images:d', token: 'dead', at: stale() });
    records.set('images:d:break:dead', breakOf('images:d', 'dead', stale())); // died before: the next writer breaks it
    records.set('images:e:break:x', breakOf('images:e', 'x', new Date())); // a breaker at work
    assert.equal(await new WriteLocks(collection).removeOrphanBreaks(), 1);
    assert.deepEqual([...records.keys()].sort(), ['images:d', 'images:d:break:dead', 'images:e:break:x']);
  });
});
