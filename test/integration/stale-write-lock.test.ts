import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import mongoose from 'mongoose';
import { CONTENTION_WAIT_MS } from '../../libs/persistence/src/contention.js';
import { type LockDoc, STALE_LOCK_MS, WRITE_LOCKS, WriteLocks } from '../../libs/persistence/src/write-locks.js';
import { testConfig } from '../support/test-config.js';

/**
 * The lock records of AtomicUpdates' lock mode, on the suite's server (FerretDB 1.24, where a deleteOne selects,
 * then deletes by _id): many writers, each as its own process, meet one stale lock at once. Of them, one at a time
 * is inside, however many break the stale lock together. The race is timing-dependent here (the old rule lost in
 * some runs only); write-locks.spec shows the interleaving that breaks it every time, over a fake of FerretDB's delete.
 */
describe('breaking a stale write lock', () => {
  const config = testConfig();
  let connection: mongoose.Connection;
  let locks: mongoose.mongo.Collection<LockDoc>;

  before(async () => {
    connection = await mongoose.createConnection(config.mongo.uri, { dbName: config.mongo.dbName }).asPromise();
    locks = connection.db!.collection<LockDoc>(WRITE_LOCKS);
  });

  after(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  const stale = () => new Date(Date.now() - STALE_LOCK_MS - 1_000);

  /**
   * `count` writers (separate WriteLocks, as separate processes) take `key` at once; resolves with the most that were
   * inside at one time, and with the writers whose lock was gone, or another's, while they were inside (deleted by a
   * breaker).
   */
  async function contend(key: string, count: number): Promise<{ most: number; lost: number }> {
    let inside = 0;
    let most = 0;
    let lost = 0;
    await Promise.all(
      Array.from({ length: count }, async () => {
        const release = await new WriteLocks(locks).acquire(key, Date.now() + CONTENTION_WAIT_MS);
        most = Math.max(most, ++inside);
        const held = await locks.findOne({ _id: key });
        await sleep(2);
        const still = await locks.findOne({ _id: key });
        if (!held || still?.token !== held.token) lost++;
        inside--;
        await release();
      }),
    );
    return { most, lost };
  }

  it('of twelve writers meeting one stale lock at once, one at a time is inside and keeps its lock (8 locks at once, 6 rounds); no record is left', async () => {
    const once = Array(8).fill({ most: 1, lost: 0 });
    for (let round = 0; round < 6; round++) {
      const keys = Array.from({ length: 8 }, (_, k) => `probe:${round}:${k}`);
      await locks.insertMany(keys.map((key) => ({ _id: key, token: `dead-${key}`, at: stale() })));
      assert.deepEqual(await Promise.all(keys.map((key) => contend(key, 12))), once, `round ${round}: a breaker deleted a fresh lock`);
    }
    assert.deepEqual(await locks.find({}).toArray(), [], 'no lock or break record is left');
  });

  it('a writer that died while breaking a stale lock does not block it: its stale break record is broken by the same rule', async () => {
    const key = 'probe:died-breaking';
    await locks.insertOne({ _id: key, token: 'dead', at: stale() });
    await locks.insertOne({ _id: `${key}:break:dead`, token: 'dead-breaker', at: stale() });
    assert.deepEqual(await contend(key, 6), { most: 1, lost: 0 });
    assert.deepEqual(await locks.find({}).toArray(), []);
  });
});
