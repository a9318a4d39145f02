import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ImageRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import { type Answer, send } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const as = (project: string, roles = 'member') => ({ accept: 'application/json', 'x-project-id': project, 'x-roles': roles });
const OWNER = as('proj-a');
const OTHER = as('proj-b');
const THIRD = as('proj-c');
const ADMIN = as('proj-admin', 'admin,member');
const OCTET = { 'content-type': 'application/octet-stream' };
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const json = (a: Answer) => JSON.parse(a.body.toString()) as Record<string, unknown>;
const imageOf = (a: Answer) => json(a).image as Record<string, unknown>;

describe('Images API v1: POST, PUT, DELETE and members on the records v2 reads', () => {
  let api: RunningApi;
  const data = Buffer.from('thirteen byte');
  before(async () => (api = await startApi(testConfig())));
  after(() => api.close());

  const post = (headers: Record<string, string>, body?: Buffer | Iterable<Buffer>, who = OWNER) => send(`${api.url}/v1/images`, 'POST', { ...who, ...OCTET, ...headers }, body);
  const put = (id: string, headers: Record<string, string>, body?: Buffer | Iterable<Buffer>, who = OWNER) => send(`${api.url}/v1/images/${id}`, 'PUT', { ...who, ...OCTET, ...headers }, body);
  const head = (id: string, who = OWNER) => send(`${api.url}/v1/images/${id}`, 'HEAD', who);
  const v2 = async (id: string, who = OWNER) => (await (await fetch(`${api.url}/v2/images/${id}`, { headers: who })).json()) as Record<string, unknown>;
  const reserve = async (headers: Record<string, string> = {}, who = OWNER) => {
    const r = await post({ 'x-image-meta-name': 'reserved', 'x-image-meta-is_public': 'None', 'content-length': '0', ...headers }, undefined, who);
    assert.equal(r.status, 201, r.body.toString());
    return imageOf(r).id as string;
  };

  it('POST with a chunked body (glanceclient image-create --file): 201 active, Location, ETag, the same image in v2', async () => {
    const r = await post(
      {
        'x-image-meta-name': 'My%20Image', 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare', 'x-image-meta-is_public': 'None',
        'x-image-meta-size': '13', 'x-image-meta-checksum': md5(data), 'x-image-meta-property-os_distro': 'cirros', 'x-image-meta-property-Foo-Bar': 'x',
        'x-image-meta-min_ram': '512', 'x-image-meta-min_disk': '1', 'x-image-meta-protected': 'True', 'x-image-meta-owner': 'other',
        'x-image-meta-id': '11111111-2222-3333-4444-555555555555', 'x-image-meta-store': 'file',
      },
      [data.subarray(0, 5), data.subarray(5)],
    );
    assert.equal(r.status, 201, r.body.toString());
    const image = imageOf(r);
    assert.equal(r.headers.location, '/v1/images/11111111-2222-3333-4444-555555555555');
    assert.equal(r.headers.etag, md5(data));
    assert.deepEqual({ ...image, created_at: 0, updated_at: 0 }, {
      checksum: md5(data), container_format: 'bare', created_at: 0, deleted: false, deleted_at: null, disk_format: 'raw',
      id: '11111111-2222-3333-4444-555555555555', is_public: false, min_disk: 1, min_ram: 512, name: 'My Image', owner: 'proj-a',
      properties: { os_distro: 'cirros', foo_bar: 'x' }, protected: true, size: 13, status: 'active', updated_at: 0, virtual_size: 13,
    });
    const seen = await v2(image.id as string);
    assert.equal(seen.visibility, 'shared', 'is_public None writes shared');
    assert.equal(seen.name, 'My Image');
    assert.equal(seen.os_distro, 'cirros');
    assert.equal(seen.checksum, md5(data));
    assert.match(String(seen.os_hash_value), /^[0-9a-f]{128}$/);
    const got = await send(`${api.url}/v1/images/${image.id}`, 'GET', OWNER);
    assert.deepEqual(got.body, data);
    assert.equal((await post({ 'x-image-meta-id': '11111111-2222-3333-4444-555555555555', 'content-length': '0' })).status, 409, 'an id is never reused');
  });

  it('POST reserves (no data: queued), makes x-image-meta-size: 0 active with no data, and a 0-byte chunked body active', async () => {
    const id = await reserve();
    assert.equal((await head(id)).headers['x-image-meta-status'], 'queued');
    const zero = await post({ 'x-image-meta-name': 'zero', 'x-image-meta-size': '0', 'content-length': '0' });
    assert.equal(imageOf(zero).status, 'active');
    assert.equal(imageOf(zero).size, 0);
    const empty = await post({ 'x-image-meta-name': 'empty', 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare', 'x-image-meta-size': '0', 'transfer-encoding': 'chunked' }, []);
    assert.equal(empty.status, 201, empty.body.toString());
    assert.equal(imageOf(empty).status, 'active');
    assert.equal(imageOf(empty).checksum, md5(Buffer.alloc(0)));
  });

  it('refuses bad POSTs before any record exists, in Glance v1 words', async () => {
    const count = async () => (await (await fetch(`${api.url}/v2/images?limit=1000`, { headers: ADMIN })).json() as { images: unknown[] }).images.length;
    const before = await count();
    const formats = { 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare' };
    const cases: [Record<string, string>, Buffer | undefined, number, RegExp][] = [
      [{ 'x-image-meta-colour': 'red' }, undefined, 400, /Bad header: x-image-meta-colour/],
      [{ 'x-image-meta-disk_format': 'floppy' }, undefined, 400, /Invalid disk format 'floppy' for image/],
      [{ 'x-image-meta-disk_format': 'aki', 'x-image-meta-container_format': 'bare' }, undefined, 400, /Invalid mix of disk and container formats/],
      [{}, data, 400, /Disk format is not specified/],
      [{ 'x-image-meta-disk_format': 'raw' }, data, 400, /Container format is not specified/],
      [{ ...formats, 'content-type': 'text/plain' }, data, 400, /Content-Type must be application\/octet-stream/],
      [{ ...formats, 'x-glance-api-copy-from': 'http://example.com/x' }, data, 400, /multiple image sources/],
      [{ ...formats, 'x-image-meta-location': 'http://example.com/x' }, undefined, 400, /External sources are not supported/], // off by default
      [{ ...formats, 'x-glance-api-copy-from': 'file:///etc/passwd' }, undefined, 400, /External sources are not supported: 'file:\/\/\/etc\/passwd'/],
      [{ ...formats, 'x-glance-api-copy-from': '' }, undefined, 400, /External source should not be empty/],
      [{ 'x-image-meta-size': String(2 ** 41) }, undefined, 400, /Denying attempt to upload image larger than/],
      [{ 'x-image-meta-property-os_glance_import_task': 'x' }, undefined, 403, /reserved/],
      [{ 'x-image-meta-property-visibility': 'x' }, undefined, 400, /image attribute/],
      [{ 'x-image-meta-is_public': 'true' }, undefined, 403, /publicize_image/],
      [Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`x-image-meta-property-p${i}`, 'v'])), undefined, 413, /Attempted: 129, Maximum: 128/],
    ];
    for (const [headers, body, status, message] of cases) {
      const r = await post({ ...(body ? {} : { 'content-length': '0' }), ...headers }, body);
      assert.equal(r.status, status, `${JSON.stringify(headers).slice(0, 120)}: ${r.body.toString()}`);
      assert.match(r.body.toString(), message, JSON.stringify(headers).slice(0, 120));
    }
    assert.equal(await count(), before, 'no orphan record');
  });

  it('an upload whose size or checksum differs from the announced one leaves the image killed, its data gone', async () => {
    const formats = { 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare' };
    const bad = await post({ ...formats, 'x-image-meta-name': 'bad-sum', 'x-image-meta-checksum': 'a'.repeat(32) }, data);
    assert.equal(bad.status, 400);
    assert.match(bad.body.toString(), /Supplied checksum \(a{32}\) and checksum generated from uploaded image \([0-9a-f]{32}\) did not match. Setting image status to 'killed'/);
    const detail = async (qs: string) => (json(await send(`${api.url}/v1/images/detail?${qs}`, 'GET', OWNER)).images as Record<string, unknown>[]);
    const [killed] = await detail('name=bad-sum&changes-since=2000-01-01');
    assert.equal(killed!.status, 'killed');
    assert.equal(killed!.size, 0);
    assert.equal(killed!.checksum, null);
    assert.deepEqual(await detail('name=bad-sum'), [], 'killed images are not listed without changes-since');
    const record = await api.app.get(ImageRepository).findById(killed!.id as string);
    assert.deepEqual(record!.locations, []);
    assert.equal((await head(killed!.id as string)).headers['x-image-meta-status'], 'killed');
    assert.equal((await send(`${api.url}/v1/images/${killed!.id}`, 'GET', OWNER)).status, 404);
    assert.equal((await put(killed!.id as string, {}, data)).status, 409, 'no data onto a killed image');
    const id = await reserve(formats);
    const short = await put(id, { 'x-image-meta-size': '20' }, [data]);
    assert.equal(short.status, 400);
    assert.match(short.body.toString(), /Supplied size \(20\) and size generated from uploaded image \(13\) did not match/);
    assert.equal((await head(id)).headers['x-image-meta-status'], 'killed');
    assert.equal((await send(`${api.url}/v1/images/${id}`, 'DELETE', OWNER)).status, 200, 'a killed image can be deleted');
  });

  it('PUT of metadata: purge-props false keeps, true (and absent) purges, never os_glance_* or v2-only data', async () => {
    const id = await reserve({ 'x-image-meta-property-a': '1', 'x-image-meta-property-b': '2', 'x-image-meta-disk_format': 'qcow2', 'x-image-meta-container_format': 'bare' });
    // v2 writes a capitalised property, a tag, os_hidden; the import lock stands for Glance's own data.
    const patch = await fetch(`${api.url}/v2/images/${id}`, {
      method: 'PATCH', headers: { ...OWNER, 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify([{ op: 'add', path: '/Mixed-Case', value: 'm' }, { op: 'add', path: '/tags', value: ['t1'] }, { op: 'replace', path: '/os_hidden', value: true }]),
    });
    assert.equal(patch.status, 200, await patch.text());
    const repo = api.app.get(ImageRepository);
    await repo.mutate(id, (current) => ({ properties: { ...current.properties, os_glance_import_task: 'task-x' } }));

    const kept = await put(id, { 'x-glance-registry-purge-props': 'false', 'x-image-meta-name': 'new%20name', 'x-image-meta-property-c': '3', 'x-image-meta-min_ram': '256', 'x-image-meta-is_public': 'False' });
    assert.equal(kept.status, 200, kept.body.toString());
    assert.deepEqual(imageOf(kept).properties, { a: '1', b: '2', 'Mixed-Case': 'm', c: '3' });
    assert.equal(imageOf(kept).name, 'new name');
    assert.equal(imageOf(kept).min_ram, 256);
    // A v1 name matches the v2 spelling case-insensitively, - as _: the existing key is updated, not doubled.
    const renamed = await put(id, { 'x-glance-registry-purge-props': 'false', 'x-image-meta-property-mixed_case': 'M2' });
    assert.deepEqual(imageOf(renamed).properties, { a: '1', b: '2', 'Mixed-Case': 'M2', c: '3' });
    const purged = await put(id, { 'x-glance-registry-purge-props': 'true', 'x-image-meta-property-only': 'this' });
    assert.deepEqual(imageOf(purged).properties, { only: 'this' });
    const absent = await put(id, { 'x-image-meta-property-next': 'n' });
    assert.deepEqual(imageOf(absent).properties, { next: 'n' }, 'no purge header: purge (the replicator sends none)');
    const record = (await repo.findById(id))!;
    assert.equal(record.properties.os_glance_import_task, 'task-x', 'the import lock survives a purge');
    assert.deepEqual(record.tags, ['t1']);
    assert.equal(record.osHidden, true);
    assert.ok(Date.parse(String(imageOf(absent).updated_at) + 'Z') >= Date.parse(String(imageOf(kept).updated_at) + 'Z'));
    await repo.mutate(id, (current) => {
      const { os_glance_import_task: _lock, ...rest } = current.properties;
      return { properties: rest };
    });
  });

  it('PUT refusals: status, id, size of an active image, data onto an unqueued image, copy-from onto it, others\' images', async () => {
    const created = imageOf(await post({ 'x-image-meta-name': 'act', 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare' }, data));
    const id = created.id as string;
    const cases: [Record<string, string>, Buffer | undefined, number, RegExp][] = [
      [{ 'x-image-meta-status': 'queued' }, undefined, 403, /Forbidden to modify 'status' of image/],
      [{ 'x-image-meta-id': '22222222-2222-3333-4444-555555555555' }, undefined, 403, /Forbidden to modify 'id' of image/],
      [{ 'x-image-meta-size': '99' }, undefined, 403, /Forbidden to modify 'size' of active image/],
      [{ 'x-image-meta-checksum': 'b'.repeat(32) }, undefined, 403, /Forbidden to modify 'checksum' of active image/],
      [{}, data, 409, /Cannot upload to an unqueued image/],
      [{ 'x-glance-api-copy-from': 'http://example.com/x' }, undefined, 400, /not in queued status/],
    ];
    for (const [headers, body, status, message] of cases) {
      const r = await put(id, { ...(body ? {} : { 'content-length': '0' }), ...headers }, body);
      assert.equal(r.status, status, JSON.stringify(headers));
      assert.match(r.body.toString(), message, JSON.stringify(headers));
    }
    assert.equal((await put(id, { 'x-image-meta-status': 'active', 'x-image-meta-size': '13', 'x-image-meta-checksum': md5(data), 'content-length': '0' })).status, 200, 'equal values pass');
    const formats = await put(id, { 'x-image-meta-disk_format': 'qcow2', 'content-length': '0' });
    assert.equal(imageOf(formats).disk_format, 'qcow2', 'v1 changes formats of an active image');
    assert.equal((await put(id, { 'x-image-meta-name': 'x', 'content-length': '0' }, undefined, OTHER)).status, 404, "another project's shared image");
    const pub = imageOf(await post({ 'x-image-meta-name': 'pub', 'x-image-meta-is_public': 'True', 'content-length': '0' }, undefined, ADMIN)).id as string;
    assert.equal((await put(pub, { 'x-image-meta-name': 'x', 'content-length': '0' })).status, 403, "another project's public image");
    assert.equal((await put('33333333-2222-3333-4444-555555555555', { 'content-length': '0' })).status, 404);
  });

  it('PUT of data onto a queued image uploads it; is_public false turns a private image shared', async () => {
    const id = await reserve({ 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare' });
    const up = await put(id, { 'x-glance-registry-purge-props': 'false', 'x-image-meta-size': '13' }, [data]);
    assert.equal(up.status, 200, up.body.toString());
    assert.equal(imageOf(up).status, 'active');
    assert.equal(imageOf(up).checksum, md5(data));
    assert.equal(up.headers.etag, md5(data));
    const patch = await fetch(`${api.url}/v2/images/${id}`, { method: 'PATCH', headers: { ...OWNER, 'content-type': 'application/openstack-images-v2.1-json-patch' }, body: JSON.stringify([{ op: 'replace', path: '/visibility', value: 'private' }]) });
    assert.equal(patch.status, 200);
    await put(id, { 'x-image-meta-is_public': 'false', 'content-length': '0', 'x-glance-registry-purge-props': 'false' });
    assert.equal((await v2(id)).visibility, 'shared');
  });

  it('DELETE: 200 empty, protected 403, then 404; v2 sees it gone', async () => {
    const id = await reserve({ 'x-image-meta-protected': 'True' });
    const locked = await send(`${api.url}/v1/images/${id}`, 'DELETE', OWNER);
    assert.equal(locked.status, 403);
    assert.match(locked.body.toString(), /Image is protected/);
    await put(id, { 'x-image-meta-protected': 'False', 'content-length': '0' });
    assert.equal((await send(`${api.url}/v1/images/${id}`, 'DELETE', OTHER)).status, 404, 'another project');
    const gone = await send(`${api.url}/v1/images/${id}`, 'DELETE', OWNER);
    assert.equal(gone.status, 200);
    assert.equal(gone.body.length, 0);
    assert.equal((await head(id)).status, 404);
    assert.equal((await fetch(`${api.url}/v2/images/${id}`, { headers: OWNER })).status, 404);
    assert.equal((await send(`${api.url}/v1/images/${id}`, 'DELETE', OWNER)).status, 404);
    const listed = json(await send(`${api.url}/v1/images/detail?changes-since=2000-01-01T00:00:00`, 'GET', OWNER)).images as Record<string, unknown>[];
    const tomb = listed.find((i) => i.id === id)!;
    assert.equal(tomb.deleted, true, 'changes-since lists the tombstone');
    assert.equal(tomb.status, 'deleted');
  });

  it('members: PUT one (can_share), PUT all, list, shared-images, DELETE; a can_share member shares on', async () => {
    const id = await reserve();
    const m = (path: string, method: string, who: Record<string, string>, body?: unknown) =>
      send(`${api.url}/v1/images/${id}/members${path}`, method, { ...who, 'content-type': 'application/json' }, body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
    assert.equal((await m('/proj-b', 'PUT', OWNER, { member: { can_share: true } })).status, 204);
    assert.deepEqual(json(await m('', 'GET', OWNER)), { members: [{ member_id: 'proj-b', can_share: true }] });
    assert.equal((await head(id, OTHER)).status, 200, 'a v1 share works at once (member status pending)');
    assert.deepEqual(json(await send(`${api.url}/v1/shared-images/proj-b`, 'GET', OTHER)), { shared_images: [{ image_id: id, can_share: true }] });
    assert.deepEqual(json(await send(`${api.url}/v1/shared-images/proj-b`, 'GET', THIRD)), { shared_images: [] }, 'not visible to a third project');
    assert.equal((await m('/proj-c', 'PUT', OTHER)).status, 204, 'can_share lets the member share on');
    assert.deepEqual(json(await m('', 'GET', OTHER)), { members: [{ member_id: 'proj-b', can_share: true }] }, 'a member sees only itself');
    const refused = await m('/proj-d', 'PUT', THIRD);
    assert.equal(refused.status, 403);
    assert.match(refused.body.toString(), /No permission to share that image/);
    assert.equal((await m('', 'PUT', OWNER, { memberships: [{ member_id: 'proj-c', can_share: false }, { member_id: 'proj-e' }] })).status, 204);
    assert.deepEqual(json(await m('', 'GET', OWNER)), { members: [{ member_id: 'proj-c', can_share: false }, { member_id: 'proj-e', can_share: false }] });
    assert.equal((await m('', 'PUT', OWNER, { nope: 1 })).status, 400);
    assert.equal((await m('/proj-e', 'DELETE', OWNER)).status, 204);
    const missing = await m('/proj-e', 'DELETE', OWNER);
    assert.equal(missing.status, 404);
    assert.match(missing.body.toString(), /Membership could not be found/);
    assert.equal((await m('/proj-c', 'GET', OWNER)).status, 405);
    const v2members = (await (await fetch(`${api.url}/v2/images/${id}/members`, { headers: OWNER })).json()) as { members: { member_id: string; status: string }[] };
    assert.deepEqual(v2members.members.map((x) => [x.member_id, x.status]), [['proj-c', 'pending']], 'v2 sees the same membership, pending');
    const priv = imageOf(await post({ 'x-image-meta-name': 'p', 'content-length': '0' }));
    const patch = await fetch(`${api.url}/v2/images/${priv.id}`, { method: 'PATCH', headers: { ...OWNER, 'content-type': 'application/openstack-images-v2.1-json-patch' }, body: JSON.stringify([{ op: 'replace', path: '/visibility', value: 'private' }]) });
    assert.equal(patch.status, 200);
    const onPrivate = await send(`${api.url}/v1/images/${priv.id}/members/proj-b`, 'PUT', OWNER);
    assert.equal(onPrivate.status, 409);
    assert.match(onPrivate.body.toString(), /Only shared images have members/);
  });
});
