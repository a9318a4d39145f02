import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { DatabaseServer, ImageListing, MinuteCensus } from '@glimpse/persistence';
import { parseListQuery } from '../../apps/api/src/images/listing/list-query.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecord, insertImageRecords } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';

/**
 * Which creation buckets a newest-first page reads on FerretDB (image-listing.ts): a catalogue whose newest image is
 * minutes old (one image a second before a pause, as after a bulk load) is walked minute by minute, so the page
 * reads its newest minute's rows, not a ten-minute bucket's; without the minute census a long pause widens the
 * walk, with it the walk queries only minutes that hold images. Pages equal the plain query every way
 * (image-listing-pages checks every chain).
 */
describe('listing: the bucket walk across a pause', () => {
  const config = testConfig();
  let api: RunningApi;
  let listing: ImageListing;
  let ferretdb = false;
  /** Whether the minute census answers (FerretDB on PostgreSQL): then its way is checked too. */
  let census = false;
  const admin = { projectId: null, isAdmin: true };

  before(async () => {
    api = await startApi(config);
    listing = api.app.get(ImageListing);
    ferretdb = api.app.get(DatabaseServer).equalityPushdownOnly;
    const images = api.app.get<Connection>(getConnectionToken()).db!.collection('images');
    // 300 images, one a second, the newest 5 minutes before now; then 30 more, one a second, 3 hours before that.
    const newest = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000 + 30_000;
    // One in 60 of the dense ones (one a minute) and one in ten of the older ones carry the tag `rare`.
    const dense = (i: number) => imageRecord({ name: `dense-${i}`, createdAt: new Date(newest - i * 1000), tags: i % 60 ? [] : ['rare'] });
    const old = (i: number) => imageRecord({ name: `old-${i}`, createdAt: new Date(newest - 3 * 3_600_000 - i * 1000), tags: i % 10 ? [] : ['rare'] });
    await insertImageRecords(images, 330, (i) => (i < 300 ? dense(i) : old(i - 300)));
    census = ferretdb && (await api.app.get(MinuteCensus).minutesBelow(2 ** 40, 1)) !== undefined;
    // On FerretDB on PostgreSQL it must: its way is not to be skipped unnoticed.
    if (ferretdb && config.mongo.postgresUrl) assert.ok(census, 'the minute census answers');
  });
  after(() => api?.close());

  const walked = () => ({ queries: 0, levels: [] as string[] });

  it('reads minute buckets down to the newest image after a pause of minutes', async (t) => {
    if (!ferretdb) return t.skip('the walk runs on FerretDB only');
    const names = Array.from({ length: 25 }, (_, i) => `dense-${i}`);
    // Without the census: now's minute plus one (clock skew), the five empty minutes, then the newest image's minute.
    const probe = walked();
    let page = await listing.page(parseListQuery({ limit: '25' }, 1000), admin, { way: 'every-minute', walk: probe });
    assert.deepEqual(page.map((i) => i.name), names);
    assert.deepEqual(new Set(probe.levels), new Set(['createdMinute']), JSON.stringify(probe));
    assert.ok(probe.queries <= 9 && probe.queries > 2, JSON.stringify(probe));
    // With it: the newest image's minute (its 30 images fill the page) and nothing else.
    if (!census) return;
    const direct = walked();
    page = await listing.page(parseListQuery({ limit: '25' }, 1000), admin, { walk: direct });
    assert.deepEqual(page.map((i) => i.name), names);
    assert.deepEqual({ queries: direct.queries, levels: direct.levels }, { queries: 1, levels: ['createdMinute'] });
  });

  it('widens as soon as a sparse filter shows the wider bucket holds less than the page needs', async (t) => {
    if (!ferretdb) return t.skip('the walk runs on FerretDB only');
    for (const way of census ? (['every-minute', 'census'] as const) : (['every-minute'] as const)) {
      const probe = walked();
      const page = await listing.page(parseListQuery({ limit: '25', tag: 'rare' }, 1000), admin, { way, walk: probe });
      assert.deepEqual(page.map((i) => i.name), ['dense-0', 'dense-60', 'dense-120', 'dense-180', 'dense-240', 'old-0', 'old-10', 'old-20']);
      // Two minutes of one row each (after the skew minute, now's and the five empty ones when every minute is
      // queried): then ten minutes at a time, not minutes until ten empty ones in a row.
      const minutes = probe.levels.indexOf('createdTenMinutes');
      assert.ok(minutes > 0 && minutes <= (way === 'census' ? 2 : 10), `${way}: ${JSON.stringify(probe)}`);
    }
  });

  it('widens past a pause of hours, and the pages after it are still exact', async (t) => {
    if (!ferretdb) return t.skip('the walk runs on FerretDB only');
    for (const way of census ? (['every-minute', 'census'] as const) : (['every-minute'] as const)) {
      const names: string[] = [];
      let marker: string | undefined;
      let probe = walked();
      for (;;) {
        probe = walked();
        const page = await listing.page(parseListQuery({ limit: '40', ...(marker ? { marker } : {}) }, 1000), admin, { way, walk: probe });
        names.push(...page.map((i) => i.name!));
        if (page.length < 40) break;
        marker = page.at(-1)!.id;
      }
      assert.deepEqual(names, [...Array.from({ length: 300 }, (_, i) => `dense-${i}`), ...Array.from({ length: 30 }, (_, i) => `old-${i}`)], way);
      if (way === 'every-minute') {
        // The last page crossed the three empty hours: it went past minutes.
        assert.ok(probe.levels.some((l) => l !== 'createdMinute'), JSON.stringify(probe));
      } else {
        // The census skips the three empty hours (the page before the last crossed them): the last page reads the
        // minutes that hold its ten images and stops where the records end, with no query beyond.
        assert.deepEqual(new Set(probe.levels), new Set(['createdMinute']), JSON.stringify(probe));
        assert.ok(probe.queries <= 3, JSON.stringify(probe));
      }
    }
  });
});
