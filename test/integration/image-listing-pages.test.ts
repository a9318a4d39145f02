import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { type ImageListQuery, type MemberStatus } from '@glimpse/domain';
import { DatabaseServer, type ImageDoc, ImageListing, listFilter, MemberRepository, MinuteCensus, type PageProbe, propPair } from '@glimpse/persistence';
import { parseListQuery } from '../../apps/api/src/images/listing/list-query.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecord, insertImageRecords } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';

/** A small deterministic random source (the seed is printed with a failure). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const FIELD: Record<string, keyof ImageDoc> = { created_at: 'createdAt', name: 'name', size: 'size', id: '_id', status: 'status', updated_at: 'updatedAt' };

/** MongoDB's order of one sort key: null (or missing) below every value; dates by time; strings by code unit. */
function compareValues(a: unknown, b: unknown): number {
  const na = a === null || a === undefined;
  const nb = b === null || b === undefined;
  if (na || nb) return na === nb ? 0 : na ? -1 : 1;
  const x = a instanceof Date ? a.getTime() : (a as string | number);
  const y = b instanceof Date ? b.getTime() : (b as string | number);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Every page chain of GET /v2/images (each sort, filters, markers, limits), concatenated, equals the plain query's
 * answer sorted in memory, on a small collection of random images, members, tags and visibilities with creation
 * times that fall in the same second, minute, hour and day and months apart, and a minute crowded as by a burst of
 * creates (100 images, 60 of them in one second). On FerretDB every way is checked: the created_at bucket walk with
 * the minute census (which skips the minutes without images and walks a crowded minute second by second; a small
 * crowd here), the walk querying every minute, and the single query.
 */
describe('listing: page chains equal the plain query sorted in memory', () => {
  const config = testConfig();
  let api: RunningApi;
  let listing: ImageListing;
  let docs: ImageDoc[] = [];
  const projects = ['p1', 'p2', 'p3', 'p4'];
  const memberImageIds = new Map<string, Map<string, MemberStatus>>();

  before(async () => {
    api = await startApi(config);
    listing = api.app.get(ImageListing);
    const random = rng(20261203);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const now = Date.now();
    // Clusters of creation times: the same second, neighbouring minutes, hours, days, and months back.
    const offsets = [0, 0, 1_000, 30_000, 61_000, 300_000, 720_000, 3_599_000, 3_600_000, 7_200_000, 30 * 3_600_000, 86_400_000, 90_000_000, 40 * 86_400_000, 400 * 86_400_000];
    // The crowded minute: 20 minutes back, its second 17 holding 60 images, its other seconds the other 40.
    const crowded = Math.floor(now / 60_000) * 60_000 - 20 * 60_000;
    docs = Array.from({ length: 220 }, (_, i) => {
      const createdAt = i >= 120
        ? new Date(crowded + (i < 180 ? 17 : Math.floor(random() * 60)) * 1000)
        : new Date(Math.floor((now - pick(offsets) - Math.floor(random() * 5) * 1000) / 1000) * 1000);
      const props = random() < 0.3 ? { os_distro: pick(['debian', 'ubuntu']) } : {};
      return imageRecord({
        name: random() < 0.1 ? null : `img-${pick(['a', 'b', 'c', 'd'])}-${i % 17}`,
        status: pick(['active', 'active', 'active', 'queued', 'deactivated', 'deleted', 'killed', 'uploading']),
        visibility: pick(['public', 'private', 'private', 'shared', 'community']),
        owner: pick(projects),
        size: random() < 0.3 ? null : Math.floor(random() * 1000),
        createdAt,
        updatedAt: createdAt,
        tags: random() < 0.4 ? [pick(['x', 'y', 'z'])] : [],
        props: Object.entries(props).map(([k, v]) => ({ k, v })),
        propPairs: Object.entries(props).map(([k, v]) => propPair(k, v)),
      });
    });
    await insertImageRecords(api.app.get<Connection>(getConnectionToken()).db!.collection('images'), docs.length, (i) => docs[i]!);
    const members = api.app.get(MemberRepository);
    for (const doc of docs.filter((d) => d.visibility === 'shared')) {
      for (const p of projects) {
        // p1 is a member of nothing: its scope (public or its own) is read branch by branch on FerretDB.
        if (p === doc.owner || p === 'p1' || random() < 0.5) continue;
        await members.add(doc._id, p);
        const status = pick(['pending', 'accepted', 'rejected'] as const);
        if (status !== 'pending') await members.setStatus(doc._id, p, status);
        (memberImageIds.get(p) ?? memberImageIds.set(p, new Map()).get(p)!).set(doc._id, status);
      }
    }
  });
  after(() => api?.close());

  /** The plain query (the listing's own filter, no sort, no limit), sorted here. */
  async function expected(query: ImageListQuery, caller: { projectId: string | null; isAdmin: boolean }): Promise<string[]> {
    const statuses = query.memberStatus === 'all' ? ['pending', 'accepted', 'rejected'] : [query.memberStatus];
    const ids = caller.isAdmin || !caller.projectId ? [] : [...(memberImageIds.get(caller.projectId) ?? [])].filter(([, s]) => statuses.includes(s)).map(([id]) => id);
    const filter = listFilter(query, { ...caller, memberImageIds: ids });
    const all = await api.app.get<Connection>(getConnectionToken()).db!.collection<ImageDoc>('images').find(filter as never).toArray();
    return all
      .sort((a, b) => {
        for (const { key, dir } of query.sort) {
          const c = compareValues(a[FIELD[key]!], b[FIELD[key]!]);
          if (c) return dir === 'asc' ? c : -c;
        }
        return 0;
      })
      .map((d) => d._id);
  }

  /** The widths each way's walks read (the census's must include seconds). */
  const widths = new Map<PageProbe['way'], Set<string>>();

  async function chain(raw: Record<string, string>, caller: { projectId: string | null; isAdmin: boolean }, way: PageProbe['way']): Promise<string[]> {
    const out: string[] = [];
    let marker: string | undefined;
    for (let pages = 0; pages < 500; pages++) {
      const walk = { queries: 0, levels: [] as string[] };
      // A crowd of 20: the crowded minute (and the busier of the others) is walked by seconds with the census.
      const page = await listing.page(parseListQuery({ ...raw, ...(marker ? { marker } : {}) }, 1000), caller, { way, walk, crowdedAt: 20 });
      for (const level of walk.levels) (widths.get(way) ?? widths.set(way, new Set()).get(way)!).add(level);
      out.push(...page.map((i) => i.id));
      if (page.length < Number(raw.limit)) return out;
      marker = page.at(-1)!.id;
    }
    throw new Error('no end of pages');
  }

  const callers = [
    { projectId: null, isAdmin: true },
    { projectId: 'p1', isAdmin: false },
    { projectId: 'p2', isAdmin: false },
    { projectId: 'p3', isAdmin: false },
  ];
  const queries: Record<string, string>[] = [
    {},
    { sort: 'created_at:asc' },
    { sort: 'created_at:desc,id:asc' },
    { sort: 'name:asc,created_at:desc' },
    { sort_key: 'size', sort_dir: 'desc' },
    { visibility: 'shared', member_status: 'all' },
    { tag: 'x' },
    { status: 'in:active,queued' },
    { 'os_distro': 'debian' },
    { tag: 'nothing-has-this' },
    { name: 'img-a-3' },
  ];

  it('for every caller, sort, filter and limit', async () => {
    const ferretdb = api.app.get(DatabaseServer).equalityPushdownOnly;
    // On FerretDB on PostgreSQL the census must answer, or its way would quietly be the every-minute walk.
    if (ferretdb && config.mongo.postgresUrl) assert.equal((await api.app.get(MinuteCensus).minutesBelow(2 ** 40, 1))?.length, 1, 'the minute census answers');
    const ways: PageProbe['way'][] = ferretdb ? ['census', 'every-minute', 'one-query'] : ['one-query'];
    if (ferretdb) {
      // The default page of a project that is a member of nothing reads its scope's two branches apart.
      const walk = { queries: 0, levels: [] as string[], branches: 0 };
      await listing.page(parseListQuery({}, 1000), callers[1]!, { walk });
      assert.equal(walk.branches, 2);
    }
    for (const way of ways) {
      for (const caller of callers) {
        for (const q of queries) {
          const want = await expected(parseListQuery(q, 1000), caller);
          for (const limit of ['7', '40']) {
            const got = await chain({ ...q, limit }, caller, way);
            assert.deepEqual(got, want, `way=${way} caller=${JSON.stringify(caller)} query=${JSON.stringify(q)} limit=${limit}`);
          }
        }
      }
    }
    // The census's walks went through the crowded minute by seconds; without it, by minutes only.
    if (ferretdb && config.mongo.postgresUrl) assert.ok(widths.get('census')?.has('createdSecond'), JSON.stringify([...(widths.get('census') ?? [])]));
    if (ferretdb) assert.ok(!widths.get('every-minute')?.has('createdSecond'));
  });
});
