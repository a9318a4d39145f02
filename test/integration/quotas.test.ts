import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type ClientRequest, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { QuotaLedgerRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import { type Answer, chunks, createImage, filesUnder, octet, send, showImage, waitForImage } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';
import { backdate } from '../support/stored-records.js';

const MiB = 1 << 20;
type Usage = Record<'image_size_total' | 'image_stage_total' | 'image_count_total' | 'image_count_uploading', { limit: number; usage: number }>;

describe('per-project quotas (unified limits) and /v2/info/usage', () => {
  const config = testConfig({
    GLIMPSE_IMAGE_SIZE_CAP: String(16 * MiB),
    GLIMPSE_QUOTA_IMAGE_COUNT_TOTAL: '3',
    GLIMPSE_QUOTA_IMAGE_SIZE_TOTAL: '4',
    GLIMPSE_QUOTA_IMAGE_STAGE_TOTAL: '2',
    GLIMPSE_QUOTA_PROJECTS: JSON.stringify({
      big: { image_count_total: 6 },
      racers: { image_count_total: 20 },
      creators: { image_count_total: 5 },
      crowd: { image_count_total: 7 },
      one: { image_count_uploading: 1 },
      tight: { image_size_total: 1 },
    }),
  });
  let api: RunningApi;
  let url: string;
  const storeDir = () => {
    const store = config.storage.stores[0]!;
    return store.type === 'file' ? store.dir : '';
  };

  before(async () => {
    api = await startApi(config);
    url = api.url;
  });
  after(() => api.close());

  const as = (project: string) => ({ accept: 'application/json', 'x-project-id': project, 'x-user-id': `u-${project}`, 'x-roles': 'member' });
  const usage = async (project: string): Promise<Usage> => {
    const res = await fetch(`${url}/v2/info/usage`, { headers: as(project) });
    assert.equal(res.status, 200);
    return ((await res.json()) as { usage: Usage }).usage;
  };
  const tryCreate = (project: string) =>
    fetch(`${url}/v2/images`, {
      method: 'POST',
      headers: { ...as(project), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'q', disk_format: 'raw', container_format: 'bare' }),
    });
  const upload = (project: string, id: string, body: Buffer | Iterable<Buffer>) => send(`${url}/v2/images/${id}/file`, 'PUT', octet(as(project)), body);
  const stage = (project: string, id: string, body: Buffer | Iterable<Buffer>) => send(`${url}/v2/images/${id}/stage`, 'PUT', octet(as(project)), body);
  const assertOverLimit = (res: Answer, resource: string) => {
    assert.equal(res.status, 413, res.body.toString());
    const body = JSON.parse(res.body.toString()) as { code: string; title: string; message: string };
    assert.equal(body.code, '413 Request Entity Too Large');
    assert.equal(body.title, 'Request Entity Too Large');
    assert.match(body.message, new RegExp(`Resource ${resource} is over limit of`));
  };

  it('image_count_total: the create past the limit is refused with 413, a delete makes room again', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await createImage(url, as('counted')));
    const res = await tryCreate('counted');
    assertOverLimit({ status: res.status, headers: {}, body: Buffer.from(await res.text()) }, 'image_count_total');
    assert.deepEqual((await usage('counted')).image_count_total, { limit: 3, usage: 3 });
    assert.equal((await fetch(`${url}/v2/images/${ids[0]}`, { method: 'DELETE', headers: as('counted') })).status, 204);
    assert.deepEqual((await usage('counted')).image_count_total, { limit: 3, usage: 2 });
    assert.equal((await tryCreate('counted')).status, 201);
  });

  it('image_size_total: uploads fit up to the limit; a declared size past it is refused before a byte is read', async () => {
    const a = await createImage(url, as('sized'));
    assert.equal((await upload('sized', a, randomBytes(3 * MiB))).status, 204);
    const b = await createImage(url, as('sized'));
    assertOverLimit(await upload('sized', b, randomBytes(2 * MiB)), 'image_size_total');
    assert.equal((await showImage(url, b, as('sized'))).status, 'queued');
    assert.equal((await upload('sized', b, randomBytes(MiB))).status, 204);
    const used = await usage('sized');
    assert.deepEqual(used.image_size_total, { limit: 4, usage: 4 });
    assert.deepEqual(used.image_count_uploading, { limit: -1, usage: 0 });
    assert.equal((await fetch(`${url}/v2/images/${a}`, { method: 'DELETE', headers: as('sized') })).status, 204);
    assert.deepEqual((await usage('sized')).image_size_total, { limit: 4, usage: 1 });
  });

  it('a chunked upload is cut off with 413 when the quota runs out, and its reservation is released', async () => {
    const first = await createImage(url, as('chunky'));
    assert.equal((await upload('chunky', first, chunks(randomBytes(3 * MiB), 64 * 1024))).status, 204);
    const second = await createImage(url, as('chunky'));
    assertOverLimit(await upload('chunky', second, chunks(randomBytes(2 * MiB), 64 * 1024)), 'image_size_total');
    const image = await showImage(url, second, as('chunky'));
    assert.deepEqual([image.status, image.size], ['queued', null]);
    // The cut-off copy was removed from the store.
    assert.deepEqual(filesUnder(storeDir()).filter((f) => f.includes(second)), []);
    const used = await usage('chunky');
    assert.deepEqual([used.image_size_total.usage, used.image_count_uploading.usage], [3, 0]);
    // The failed upload's hold is gone: the last MiB still fits.
    assert.equal((await upload('chunky', second, chunks(randomBytes(MiB), 64 * 1024))).status, 204);
    assert.deepEqual((await usage('chunky')).image_size_total, { limit: 4, usage: 4 });
  });

  it('image_stage_total: staging fits up to the limit and is refused past it', async () => {
    const a = await createImage(url, as('stager'));
    assert.equal((await stage('stager', a, randomBytes(2 * MiB))).status, 204);
    assert.deepEqual((await usage('stager')).image_stage_total, { limit: 2, usage: 2 });
    const b = await createImage(url, as('stager'));
    assertOverLimit(await stage('stager', b, chunks(randomBytes(MiB), 64 * 1024)), 'image_stage_total');
    const used = await usage('stager');
    assert.deepEqual([used.image_stage_total.usage, used.image_count_uploading.usage, used.image_size_total.usage], [2, 1, 0]);
  });

  it('import: a glance-direct import whose staged data does not fit image_size_total is refused with 413', async () => {
    const id = await createImage(url, as('tight'));
    assert.equal((await stage('tight', id, randomBytes(2 * MiB))).status, 204);
    const res = await fetch(`${url}/v2/images/${id}/import`, {
      method: 'POST',
      headers: { ...as('tight'), 'content-type': 'application/json' },
      body: JSON.stringify({ method: { name: 'glance-direct' } }),
    });
    assertOverLimit({ status: res.status, headers: {}, body: Buffer.from(await res.text()) }, 'image_size_total');
    const tasks = (await (await fetch(`${url}/v2/images/${id}/tasks`, { headers: as('tight') })).json()) as { tasks: unknown[] };
    assert.equal(tasks.tasks.length, 0);
    assert.equal((await showImage(url, id, as('tight'))).status, 'uploading');
  });

  it('image_count_uploading: a second upload while one is in progress is refused, and allowed once it ended', async () => {
    const slow = await createImage(url, as('one'));
    const other = await createImage(url, as('one'));
    const { req, answer } = openUpload(`${url}/v2/images/${slow}/file`, octet(as('one')));
    try {
      req.write(randomBytes(64 * 1024));
      await waitForImage(url, slow, (image) => image.status === 'saving');
      assertOverLimit(await upload('one', other, randomBytes(1024)), 'image_count_uploading');
      assertOverLimit(await stage('one', other, randomBytes(1024)), 'image_count_uploading');
      assert.deepEqual((await usage('one')).image_count_uploading, { limit: 1, usage: 1 });
    } finally {
      req.end(randomBytes(1024));
    }
    assert.equal((await answer).status, 204);
    assert.equal((await upload('one', other, randomBytes(1024))).status, 204);
    assert.deepEqual((await usage('one')).image_count_uploading, { limit: 1, usage: 0 });
  });

  it('a per-project override replaces the default for that project only', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await tryCreate('big')).status, 201);
    assert.equal((await tryCreate('big')).status, 413);
    const used = await usage('big');
    assert.deepEqual(used.image_count_total, { limit: 6, usage: 6 });
    assert.deepEqual(used.image_size_total, { limit: 4, usage: 0 });
  });

  it('parallel uploads near the limit: at most what fits succeeds, and usage never passes the limit', async () => {
    const ids = await Promise.all(Array.from({ length: 9 }, () => createImage(url, as('racers'))));
    const answers = await Promise.all(ids.map((id) => upload('racers', id, randomBytes(MiB))));
    const ok = answers.filter((a) => a.status === 204).length;
    for (const a of answers) if (a.status !== 204) assertOverLimit(a, 'image_size_total');
    assert.ok(ok >= 1 && ok <= 4, `${ok} uploads of 1 MiB succeeded under a 4 MiB limit`);
    const used = await usage('racers');
    assert.ok(used.image_size_total.usage <= 4);
    assert.equal(used.image_size_total.usage, ok);
    const active = await Promise.all(ids.map((id) => showImage(url, id, as('racers'))));
    assert.equal(active.filter((i) => i.status === 'active').length, ok);
  });

  /** n creates at once in `project`: exactly the room left under its count limit answer 201, every other one 413. */
  const raceCreates = async (project: string, n: number) => {
    const listed = async () =>
      ((await (await fetch(`${url}/v2/images?owner=${project}`, { headers: as(project) })).json()) as { images: Array<{ id: string }> }).images.map((i) => i.id);
    const before = (await usage(project)).image_count_total;
    const there = await listed();
    const room = before.limit - before.usage;
    assert.ok(room > 0 && room < n, `the race needs room for some of the ${n} creates, not all (limit ${before.limit}, usage ${before.usage})`);
    const answers = await Promise.all(
      Array.from({ length: n }, async () => {
        const res = await tryCreate(project);
        return { status: res.status, headers: {}, body: Buffer.from(await res.text()) } as Answer;
      }),
    );
    const statuses = answers.map((a) => a.status).join(',');
    const created = answers.filter((a) => a.status === 201);
    assert.equal(created.length, room, `statuses ${statuses}`);
    for (const refused of answers.filter((a) => a.status !== 201)) assertOverLimit(refused, 'image_count_total');
    const ids = created.map((a) => (JSON.parse(a.body.toString()) as { id: string }).id);
    assert.deepEqual((await listed()).sort(), [...there, ...ids].sort());
    assert.deepEqual((await usage(project)).image_count_total, { limit: before.limit, usage: before.usage + created.length });
  };

  it('parallel creates near the limit: exactly the room left is created, every other create is 413', async () => {
    await raceCreates('creators', 12);
  });

  it('fifty parallel creates with one image already there: the rest of the room is created, the others are 413', async () => {
    await createImage(url, as('crowd'));
    await raceCreates('crowd', 50);
  });

  it('a hold whose owner died is ignored and then dropped by the updater', async () => {
    const ledger = api.app.get(QuotaLedgerRepository);
    const limits = { image_size_total: 4 * MiB, image_stage_total: 2 * MiB, image_count_total: 3, image_count_uploading: -1 };
    const held = await ledger.reserve('ghost', 'dead-request', { image: 'never-created', limits, amounts: { image_count_total: 3 } });
    assert.equal(held.ok, true);
    assert.equal((await tryCreate('ghost')).status, 413);
    // As if its process died long ago: the heartbeat stopped past GLIMPSE_STUCK_SAVING_MINUTES.
    await backdate(api.app, 'quota_ledgers', 'ghost', config.updater.stuckSavingMs + 1000, 'holds.dead-request.at');
    assert.equal((await usage('ghost')).image_count_total.usage, 0);
    assert.equal(await ledger.dropDeadHolds(), 1);
    assert.equal((await tryCreate('ghost')).status, 201);
  });
});

/** A chunked upload the test finishes when it likes. */
function openUpload(target: string, headers: Record<string, string>): { req: ClientRequest; answer: Promise<Answer> } {
  let req!: ClientRequest;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = request(target, { method: 'PUT', headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
  });
  return { req, answer };
}

describe('without any quota configured', () => {
  let api: RunningApi;
  before(async () => {
    api = await startApi(testConfig());
  });
  after(() => api.close());

  it('enforces nothing and answers /v2/info/usage with an empty map, as Glance without unified limits', async () => {
    const headers = { accept: 'application/json', 'x-project-id': 'free', 'x-roles': 'member' };
    for (let i = 0; i < 4; i++) await createImage(api.url, headers);
    const res = await fetch(`${api.url}/v2/info/usage`, { headers });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { usage: {} });
  });
});
