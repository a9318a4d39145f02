import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Collection, Connection } from 'mongoose';
import { DatabaseServer, type ImageDoc, ImageListing, MinuteCensus, type PageProbe } from '@glimpse/persistence';
import { parseListQuery } from '../../apps/api/src/images/listing/list-query.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecord, insertImageRecords } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';

/**
 * A minute crowded by a burst of creates (20,000 images in one minute, as a replicator or a bulk import makes them)
 * on FerretDB on PostgreSQL: a page inside it reads the rows of the seconds it spans (the walk goes second by second
 * through the minutes the census counts as crowded), not the whole minute, which it read before and still reads
 * without the census; the pages are the plain query's either way.
 */
describe('listing: a page inside a crowded minute', () => {
  const config = testConfig();
  let api: RunningApi;
  let listing: ImageListing;
  let images: Collection<ImageDoc>;
  let census = false;
  /** Every image in the default order (created_at desc, id desc). */
  let order: string[] = [];
  const admin: { projectId: string | null; isAdmin: boolean } = { projectId: null, isAdmin: true };
  const member = { projectId: 'p-3', isAdmin: false };
  const CROWD = 20_000;

  before(async () => {
    api = await startApi(config);
    listing = api.app.get(ImageListing);
    images = api.app.get<Connection>(getConnectionToken()).db!.collection<ImageDoc>('images') as never;
    // The crowded minute ten minutes back (333 or 334 images a second); 200 images one a second before it and 30
    // one every ten seconds after it.
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const at = (i: number) =>
      i < CROWD ? minute + (i % 60) * 1000 : i < CROWD + 200 ? minute - (i - CROWD + 1) * 1000 : minute + 60_000 + (i - CROWD - 200) * 10_000;
    const docs = Array.from({ length: CROWD + 230 }, (_, i) =>
      imageRecord({ name: `c-${i}`, owner: `p-${i % 10}`, visibility: i % 2 ? 'private' : 'public', createdAt: new Date(at(i)), updatedAt: new Date(at(i)) }),
    );
    await insertImageRecords(images, docs.length, (i) => docs[i]!);
    order = docs
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0))
      .map((d) => d._id);
    census = api.app.get(DatabaseServer).equalityPushdownOnly && (await api.app.get(MinuteCensus).minutesBelow(2 ** 40, 1)) !== undefined;
    if (api.app.get(DatabaseServer).equalityPushdownOnly && config.mongo.postgresUrl) assert.ok(census, 'the minute census answers');
  });
  after(() => api?.close());

  /** A page after `marker` (an id), with the rows its bucket queries read (each bucket's records: an upper bound). */
  async function page(marker: string, caller: typeof admin, way: PageProbe['way'], limit = 25) {
    const walk = { queries: 0, levels: [] as string[], buckets: [] as Record<string, number>[] };
    const t0 = performance.now();
    const got = await listing.page(parseListQuery({ limit: String(limit), marker }, 1000), caller, { way, walk });
    const ms = performance.now() - t0;
    let read = 0;
    for (const bucket of walk.buckets) read += await images.countDocuments(bucket);
    return { ids: got.map((i) => i.id), read, walk, ms };
  }

  it('reads about a page of rows with the census, the whole minute without it, and the same page both ways', async (t) => {
    const marker = order[10_000]!; // in the middle of the crowded minute
    const want = order.slice(10_001, 10_026);
    assert.deepEqual((await page(marker, admin, 'one-query')).ids, want);
    if (!census) return t.skip('the walk by seconds needs the minute census (FerretDB on PostgreSQL)');
    const seconds = await page(marker, admin, 'census');
    assert.deepEqual(seconds.ids, want);
    // The marker's second and at most the one before it: 334 rows each.
    assert.ok(seconds.read <= 2 * 334, `read ${seconds.read} rows in ${seconds.walk.queries} queries`);
    assert.deepEqual(new Set(seconds.walk.levels), new Set(['createdSecond']), JSON.stringify(seconds.walk));
    const minutes = await page(marker, admin, 'every-minute');
    assert.deepEqual(minutes.ids, want);
    assert.ok(minutes.read >= CROWD, `without the census: ${minutes.read} rows`);
    const again = [await page(marker, admin, 'census'), await page(marker, admin, 'every-minute')];
    t.diagnostic(`rows read by the page: ${seconds.read} in ${seconds.walk.queries} queries with the census (${seconds.ms.toFixed(1)}, ${again[0]!.ms.toFixed(1)} ms), ` +
      `${minutes.read} in ${minutes.walk.queries} without (${minutes.ms.toFixed(1)}, ${again[1]!.ms.toFixed(1)} ms)`);
  });

  it('a member’s page (its scope’s branches) and a page of the most a page may hold', async (t) => {
    if (!census) return t.skip('the walk by seconds needs the minute census (FerretDB on PostgreSQL)');
    const visible = await images.find({ $or: [{ visibility: 'public' }, { owner: 'p-3' }] }, { projection: { _id: 1 } }).toArray();
    const ids = new Set(visible.map((d) => d._id));
    // A marker the member may see, in the middle of the crowded minute.
    const at = order.findIndex((id, i) => i >= 5_000 && ids.has(id));
    const mine = await page(order[at]!, member, 'census');
    assert.deepEqual(mine.ids, order.slice(at + 1).filter((id) => ids.has(id)).slice(0, 25));
    assert.ok(mine.read <= 2 * 334, `read ${mine.read} rows in ${mine.walk.queries} queries`);
    const marker = order[5_000]!;
    const big = await page(marker, admin, 'census', 1000);
    assert.deepEqual(big.ids, order.slice(5_001, 6_001));
    // 1,000 rows span three or four seconds: about that many rows, not the minute's 20,000.
    assert.ok(big.read <= 5 * 334, `read ${big.read} rows in ${big.walk.queries} queries`);
  });

  it('a chain of pages through the crowded minute is the whole order', async () => {
    const out: string[] = [];
    let marker: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const got = await listing.page(parseListQuery({ limit: '1000', ...(marker ? { marker } : {}) }, 1000), admin);
      out.push(...got.map((i) => i.id));
      if (got.length < 1000) break;
      marker = got.at(-1)!.id;
    }
    assert.deepEqual(out, order);
  });
});
