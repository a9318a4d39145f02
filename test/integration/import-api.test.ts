import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobName } from '@glimpse/contracts';
import { importLockHolder } from '@glimpse/domain';
import { ImageRepository, TaskRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { type RunningApi, startApi } from '../support/api-app.js';
import { testConfig } from '../support/test-config.js';
import { backdate } from '../support/stored-records.js';

describe('POST /v2/images/{id}/import: validation, status matrix and the import lock (no worker running)', () => {
  let api: RunningApi;
  let images: ImageRepository;
  let tasks: TaskRepository;
  const member = { 'content-type': 'application/json', accept: 'application/json', 'x-project-id': 'pa', 'x-user-id': 'ua', 'x-roles': 'member' };
  const otherProject = { ...member, 'x-project-id': 'pb', 'x-user-id': 'ub' };
  const admin = { ...member, 'x-project-id': 'padmin', 'x-roles': 'admin' };
  const webDownload = { method: { name: 'web-download', uri: 'http://images.example.com/disk.qcow2' } };

  before(async () => {
    api = await startApi(testConfig());
    images = api.app.get(ImageRepository);
    tasks = api.app.get(TaskRepository);
  });
  after(() => api.close());

  const create = async (body: Record<string, unknown> = { name: 'i', disk_format: 'raw', container_format: 'bare' }, headers = member) => {
    const res = await fetch(`${api.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify(body) });
    assert.equal(res.status, 201);
    return ((await res.json()) as { id: string }).id;
  };
  const importImage = (id: string, body: unknown, headers: Record<string, string> = member) =>
    fetch(`${api.url}/v2/images/${id}/import`, { method: 'POST', headers, body: JSON.stringify(body) });
  const message = async (res: Response) => JSON.stringify(await res.json());

  it('refuses malformed requests with 400 in Glance words', async () => {
    const id = await create();
    const cases: [unknown, RegExp][] = [
      [{ method: { name: 'bogus-method' } }, /Unknown import method name 'bogus-method'/],
      [{}, /'method'/],
      [{ method: 'web-download' }, /'method'/],
      [[], /JSON object/],
      [{ method: { name: 'web-download' } }, /'uri' is required/],
      [{ ...webDownload, all_stores: 'yes' }, /'all_stores' must be a boolean/],
      [{ ...webDownload, stores: 'local' }, /'stores' must be a list/],
      [{ ...webDownload, all_stores: true, stores: ['local'] }, /may not be combined/],
      [{ ...webDownload, all_stores_must_succeed: false }, /multiple stores/],
      [{ method: { name: 'web-download', uri: 'http://127.0.0.2:8765/x' } }, /URI for web-download does not pass filtering: http:\/\/127.0.0.2:8765\/x/],
      [{ method: { name: 'web-download', uri: 'file:///etc/passwd' } }, /does not pass filtering/],
      [{ method: { name: 'web-download', uri: 'http://2130706433/x' } }, /does not pass filtering/],
      [{ method: { ...webDownload.method, validation_data: { os_hash_algo: 'sha256', os_hash_value: 'a'.repeat(64) } } }, /os_hash_algo must be md5 or sha512/],
      [{ method: { ...webDownload.method, validation_data: { os_hash_algo: 'sha512', os_hash_value: 'abc' } } }, /128 hexadecimal digits/],
      [{ method: { ...webDownload.method, validation_data: { size: -1 } } }, /'size' must be a non-negative integer/],
    ];
    for (const [body, expected] of cases) {
      const res = await importImage(id, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(await message(res), expected, JSON.stringify(body));
    }
    assert.equal(importLockHolder((await images.findById(id))!), undefined, 'a refused request takes no lock');
    assert.equal((await tasks.forImage(id)).length, 0, 'and leaves no task');
  });

  it('applies the method/status matrix with 409s', async () => {
    const queued = await create();
    let res = await importImage(queued, { method: { name: 'glance-direct' } });
    assert.equal(res.status, 409);
    assert.match(await message(res), /needs to be staged before 'glance-direct'/);
    res = await importImage(queued, { method: { name: 'copy-image' } }, admin);
    assert.equal(res.status, 409);
    assert.match(await message(res), /Only images with status active can be targeted for copying/);

    const noFormats = await create({ name: 'n' });
    res = await importImage(noFormats, webDownload);
    assert.equal(res.status, 409);
    assert.match(await message(res), /'container_format' needs to be set before import/);

    const active = await create();
    await images.transition(active, 'queued', 'active');
    res = await importImage(active, webDownload);
    assert.equal(res.status, 409);
    assert.match(await message(res), /Image with status active cannot be target for import/);

    const staged = await create();
    await images.transition(staged, 'queued', 'uploading');
    res = await importImage(staged, webDownload);
    assert.equal(res.status, 409);
    assert.match(await message(res), /needs to be in 'queued' state to use 'web-download'/);
  });

  it('hides other projects\' images (404) and keeps copy-image for admins (403)', async () => {
    const id = await create();
    assert.equal((await importImage(id, webDownload, otherProject)).status, 404);
    const active = await create({ name: 'pub', disk_format: 'raw', container_format: 'bare', visibility: 'public' }, admin);
    await images.transition(active, 'queued', 'active');
    const res = await importImage(active, { method: { name: 'copy-image' } }, member);
    assert.equal(res.status, 403);
  });

  it('accepts with 202, records a pending task, enqueues one job under the task id and takes the lock', async () => {
    const id = await create();
    const res = await importImage(id, webDownload);
    assert.equal(res.status, 202);
    assert.equal(await res.text(), '');
    const [task] = await tasks.forImage(id);
    assert.ok(task);
    assert.equal(task.type, 'api_image_import');
    assert.equal(task.status, 'pending');
    assert.deepEqual(task.input, { image_id: id, import_req: webDownload, backend: ['local'] });
    assert.equal(task.requestId, res.headers.get('x-openstack-request-id'));
    const image = await images.findById(id);
    assert.equal(importLockHolder(image!), task.id);
    const job = await api.app.get(JobProducer).queueFor(JobName.ImageImport).getJob(task.id);
    assert.deepEqual(job?.data, { taskId: task.id, imageId: id });

    const again = await importImage(id, webDownload);
    assert.equal(again.status, 409);
    assert.match(await message(again), /Image has active task/);
    assert.equal((await tasks.forImage(id)).length, 1, 'the refused second request leaves no task behind');
  });

  it('lets exactly one of racing imports take the lock', async () => {
    const id = await create();
    const results = await Promise.all(Array.from({ length: 6 }, () => importImage(id, webDownload)));
    const codes = results.map((r) => r.status).sort();
    assert.deepEqual(codes, [202, 409, 409, 409, 409, 409]);
    assert.equal((await tasks.forImage(id)).length, 1);
  });

  it('takes over a lock whose task shows no progress past the timeout, but not a live one', async () => {
    const id = await create();
    assert.equal((await importImage(id, webDownload)).status, 202);
    const [stale] = await tasks.forImage(id);
    // The task last changed three hours ago (a pending task's lock lasts twice the 60-minute timeout).
    await backdate(api.app, 'tasks', stale!.id, 3 * 3600_000);
    const res = await importImage(id, webDownload);
    assert.equal(res.status, 202);
    const holder = importLockHolder((await images.findById(id))!);
    assert.notEqual(holder, stale!.id);
    assert.equal((await importImage(id, webDownload)).status, 409);
  });

  it('lists the enabled methods under /v2/info/import', async () => {
    const res = await fetch(`${api.url}/v2/info/import`, { headers: member });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      'import-methods': { description: 'Import methods available.', type: 'array', value: ['glance-direct', 'web-download', 'copy-image'] },
    });
  });
});

describe('import methods can be disabled', () => {
  let api: RunningApi;
  before(async () => {
    api = await startApi(testConfig({ GLIMPSE_IMPORT_METHODS: 'web-download' }));
  });
  after(() => api.close());

  it('refuses a disabled method and no longer lists it', async () => {
    const headers = { 'content-type': 'application/json', 'x-project-id': 'pa', 'x-roles': 'member' };
    const created = await fetch(`${api.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ name: 'x' }) });
    const { id } = (await created.json()) as { id: string };
    const res = await fetch(`${api.url}/v2/images/${id}/import`, { method: 'POST', headers, body: JSON.stringify({ method: { name: 'glance-direct' } }) });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /not enabled/);
    const info = (await (await fetch(`${api.url}/v2/info/import`, { headers })).json()) as { 'import-methods': { value: string[] } };
    assert.deepEqual(info['import-methods'].value, ['web-download']);
  });
});
