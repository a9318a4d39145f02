import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { DatabaseServer, ImageListing } from '@glimpse/persistence';
import { parseListQuery } from '../../apps/api/src/images/listing/list-query.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecord, insertImageRecords } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';

/**
 * Which creation buckets a newest-first page reads on FerretDB (image-listing.ts): a catalogue whose newest image is
 * minutes old (one image a second before a pause, as after a bulk load) is walked minute by minute, so the page
 * reads its newest minute's rows, not a ten-minute bucket's; a long pause still widens the walk. Pages equal the
 * plain query either way (image-listing-pages checks every chain).
 */
describe('listing: the bucket walk across a pause', () => {
  const config = testConfig();
  let api: RunningApi;
  let listing: ImageListing;
  let ferretdb = false;
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
  });
  after(() => api?.close());

  it('reads minute buckets down to the newest image after a pause of minutes', async (t) => {
    if (!ferretdb) return t.skip('the walk runs on FerretDB only');
    const page = await listing.page(parseListQuery({ limit: '25' }, 1000), admin);
    assert.deepEqual(page.map((i) => i.name), Array.from({ length: 25 }, (_, i) => `dense-${i}`));
    // Now's minute plus one (clock skew), the five empty minutes, then the newest image's minute: all minutes.
    assert.deepEqual(new Set(listing.lastWalk.levels), new Set(['createdMinute']), JSON.stringify(listing.lastWalk));
    assert.ok(listing.lastWalk.queries <= 9, JSON.stringify(listing.lastWalk));
  });

  it('widens as soon as a sparse filter shows the wider bucket holds less than the page needs', async (t) => {
    if (!ferretdb) return t.skip('the walk runs on FerretDB only');
    const page = await listing.page(parseListQuery({ limit: '25', tag: 'rare' }, 1000), admin);
    assert.deepEqual(page.map((i) => i.name), ['dense-0', 'dense-60', 'dense-120', 'dense-180', 'dense-240', 'old-0', 'old-10', 'old-20']);
    // The skew minute, now's, the five empty ones, two minutes of one row each: then ten minutes at a time, not
    // minutes until ten empty ones in a row.
    const minutes = listing.lastWalk.levels.indexOf('createdTenMinutes');
    assert.ok(minutes > 0 && minutes <= 10, JSON.stringify(listing.lastWalk));
  });

  it('widens past a pause of hours, and the pages after it are still exact', async (t) => {
    if (!ferretdb) return t.skip('the walk runs on FerretDB only');
    const names: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await listing.page(parseListQuery({ limit: '40', ...(marker ? { marker } : {}) }, 1000), admin);
      names.push(...page.map((i) => i.name!));
      if (page.length < 40) break;
      marker = page.at(-1)!.id;
    }
    assert.deepEqual(names, [...Array.from({ length: 300 }, (_, i) => `dense-${i}`), ...Array.from({ length: 30 }, (_, i) => `old-${i}`)]);
    // The last page crossed the three empty hours: it went past minutes.
    assert.ok(listing.lastWalk.levels.some((l) => l !== 'createdMinute'), JSON.stringify(listing.lastWalk));
  });
});
