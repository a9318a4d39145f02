import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImageRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import { testConfig } from '../support/test-config.js';

const as = (project: string, roles = 'member') => ({ 'content-type': 'application/json', accept: 'application/json', 'x-project-id': project, 'x-roles': roles });
const OWNER = as('proj-a');
const OTHER = as('proj-b');
const ADMIN = as('proj-admin', 'admin');
const PATCH21 = 'application/openstack-images-v2.1-json-patch';
const PATCH20 = 'application/openstack-images-v2.0-json-patch';

describe('images API: create, PATCH, tags, actions, schemas, 405', () => {
  let api: RunningApi;
  // Delayed delete on, so that deleting an active image with data leaves it pending_delete (the racing deletes test).
  before(async () => (api = await startApi(testConfig({ GLIMPSE_DELAYED_DELETE: 'true' }))));
  after(() => api.close());

  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const create = async (body: Record<string, unknown> = {}, headers = OWNER) => {
    const r = await call('POST', '/v2/images', headers, { name: 'img', disk_format: 'raw', container_format: 'bare', ...body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const patch = (id: string, ops: unknown, headers: Record<string, string> = OWNER, type = PATCH21) =>
    call('PATCH', `/v2/images/${id}`, { ...headers, 'content-type': type }, ops);

  it('creates with Glance defaults and refuses read-only, reserved and malformed attributes', async () => {
    const r = await call('POST', '/v2/images', OWNER, { name: 'x', os_distro: 'debian', tags: ['a', 'a', 'b'] });
    assert.equal(r.status, 201);
    assert.match(String(r.headers.get('location')), /\/v2\/images\/[0-9a-f-]{36}$/);
    assert.equal(r.headers.get('openstack-image-import-methods'), 'glance-direct,web-download,copy-image');
    assert.equal(r.headers.get('openstack-image-store-ids'), 'local');
    assert.deepEqual({ ...r.body, id: 0, created_at: 0, updated_at: 0, self: 0, file: 0 }, {
      id: 0, name: 'x', os_distro: 'debian', tags: ['a', 'b'], status: 'queued', visibility: 'shared', protected: false, os_hidden: false,
      checksum: null, os_hash_algo: null, os_hash_value: null, owner: 'proj-a', size: null, virtual_size: null, min_disk: 0, min_ram: 0,
      container_format: null, disk_format: null, created_at: 0, updated_at: 0, self: 0, file: 0, schema: '/v2/schemas/image',
    });
    const refused: [Record<string, unknown>, number, RegExp][] = [
      [{ status: 'active' }, 403, /Attribute 'status' is read-only/],
      [{ size: 1 }, 403, /read-only/],
      [{ os_glance_x: 'y' }, 403, /reserved/],
      [{ locations: [] }, 403, /reserved/],
      [{ disk_format: 'bogus' }, 400, /bogus/],
      [{ name: 'n'.repeat(256) }, 400, /too long/],
      [{ min_ram: -1 }, 400, /minimum/],
      [{ custom: 5 }, 400, /not of type 'string'/],
      [{ name: '\u{1F600}' }, 400, /4-byte UTF-8/],
      [{ visibility: 'public' }, 403, /publicize_image/],
      [{ owner: 'someone-else' }, 403, /owned by/],
    ];
    for (const [body, status, message] of refused) {
      const res = await call('POST', '/v2/images', OWNER, body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(String(res.body.message), message, JSON.stringify(body));
    }
    assert.equal((await call('POST', '/v2/images', OWNER, '{"name": ')).status, 400, 'malformed JSON');
    assert.equal((await call('POST', '/v2/images', ADMIN, { visibility: 'public' })).status, 201, 'admins publish');
    const id = await create();
    assert.equal((await call('POST', '/v2/images', OWNER, { id })).status, 409, 'a reused id');
  });

  it('PATCH 2.1: add/replace/remove of core and custom properties', async () => {
    const id = await create({ os_distro: 'debian' });
    const r = await patch(id, [
      { op: 'replace', path: '/name', value: 'renamed' },
      { op: 'add', path: '/custom', value: 'v1' },
      { op: 'add', path: '/custom', value: 'v2' },
      { op: 'remove', path: '/os_distro' },
      { op: 'replace', path: '/min_ram', value: 1024 },
      { op: 'replace', path: '/protected', value: true },
      { op: 'replace', path: '/tags', value: ['x', 'y', 'x'] },
      { op: 'add', path: '/a~1b~0c', value: 'escaped' },
    ]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.name, 'renamed');
    assert.equal(r.body.custom, 'v2');
    assert.equal(r.body.os_distro, undefined);
    assert.equal(r.body.min_ram, 1024);
    assert.equal(r.body.protected, true);
    assert.deepEqual(r.body.tags, ['x', 'y']);
    assert.equal(r.body['a/b~c'], 'escaped', 'JSON pointer escapes');
  });

  it('PATCH refusals in Glance words, and nothing is written by a refused patch', async () => {
    const id = await create({ custom: 'keep' });
    const cases: [unknown, number, RegExp, string?][] = [
      [[{ op: 'replace', path: '/nope', value: 'y' }], 409, /Property nope does not exist/],
      [[{ op: 'remove', path: '/nope' }], 409, /Property nope does not exist/],
      [[{ op: 'remove', path: '/name' }], 403, /Property name may not be removed/],
      [[{ op: 'replace', path: '/id', value: 'x' }], 403, /Attribute 'id' is read-only/],
      [[{ op: 'replace', path: '/status', value: 'active' }], 403, /Attribute 'status' is read-only/],
      [[{ op: 'add', path: '/os_glance_x', value: 'x' }], 403, /Attribute 'os_glance_x' is reserved/],
      [[{ op: 'test', path: '/name', value: 'x' }], 400, /Invalid operation: `test`/],
      [[{ op: 'replace', path: 'name', value: 'x' }], 400, /does not start with "\/"/],
      [[{ op: 'replace', path: '/a/b', value: 'x' }], 400, /Nested paths/],
      [{ op: 'replace', path: '/name', value: 'x' }, 400, /JSON array of operation objects/],
      [[{ op: 'replace', path: '/disk_format', value: 'bogus' }], 400, /bogus/],
      [[{ op: 'add', path: '/num', value: 5 }], 400, /not of type 'string'/],
      [[{ op: 'replace', path: '/visibility', value: 'public' }], 403, /publicize_image/],
      [[{ op: 'replace', path: '/owner', value: 'proj-z' }], 403, /Owner can't be updated by non admin/],
      [[{ op: 'add', path: '/owner', value: 'proj-z' }], 403, /Owner can't be updated by non admin/],
      [[{ op: 'replace', path: '/name', value: 'ok' }, { op: 'remove', path: '/nope' }], 409, /does not exist/],
    ];
    for (const [ops, status, message] of cases) {
      const r = await patch(id, ops);
      assert.equal(r.status, status, JSON.stringify(ops));
      assert.match(String(r.body.message), message, JSON.stringify(ops));
    }
    const image = (await call('GET', `/v2/images/${id}`, OWNER)).body;
    assert.equal(image.name, 'img');
    assert.equal(image.custom, 'keep');
    assert.equal((await patch(id, [{ op: 'replace', path: '/owner', value: 'proj-z' }], ADMIN)).body.owner, 'proj-z', 'admins change owners');
  });

  it('PATCH 2.0 dialect; 415 with Accept-Patch for any other media type', async () => {
    const id = await create({ custom: 'a' });
    const r = await patch(id, [{ replace: '/name', value: 'v20-style' }], OWNER, PATCH20);
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'v20-style');
    assert.equal((await patch(id, [{ add: '/custom', value: 'b' }], OWNER, PATCH20)).status, 409, '2.0 add on an existing property');
    for (const type of ['application/json-patch+json', 'application/json']) {
      const res = await patch(id, [{ op: 'replace', path: '/name', value: 'x' }], OWNER, type);
      assert.equal(res.status, 415, type);
      assert.equal(res.headers.get('accept-patch'), 'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch');
    }
  });

  it('disk and container formats change only while queued; others may not PATCH; a hidden image is 404', async () => {
    const id = await create();
    await api.app.get(ImageRepository).update(id, {}, { status: 'active' });
    const r = await patch(id, [{ op: 'replace', path: '/disk_format', value: 'qcow2' }]);
    assert.equal(r.status, 403);
    assert.match(String(r.body.message), /only replaced for a queued image/);
    const shared = await create({ visibility: 'public' }, ADMIN);
    assert.equal((await patch(shared, [{ op: 'replace', path: '/name', value: 'x' }], OTHER)).status, 403);
    const priv = await create({ visibility: 'private' });
    assert.equal((await patch(priv, [{ op: 'replace', path: '/name', value: 'x' }], OTHER)).status, 404);
    assert.equal((await patch(priv, [{ op: 'replace', path: '/name', value: 'x' }], as('proj-a', 'reader'))).status, 403, 'readers cannot write');
  });

  it('racing PATCHes both apply: neither update is lost', async () => {
    const id = await create();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => patch(id, [{ op: 'add', path: `/p${i}`, value: String(i) }])),
    );
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    const image = (await call('GET', `/v2/images/${id}`, OWNER)).body;
    for (let i = 0; i < 6; i++) assert.equal(image[`p${i}`], String(i));
  });

  it('tags: PUT is idempotent, DELETE of a missing tag is 404, long tags are 400', async () => {
    const id = await create();
    const tag = (method: string, t: string, headers = OWNER) => call(method, `/v2/images/${id}/tags/${encodeURIComponent(t)}`, headers);
    assert.equal((await tag('PUT', 'with space')).status, 204);
    assert.equal((await tag('PUT', 'with space')).status, 204);
    assert.deepEqual((await call('GET', `/v2/images/${id}`, OWNER)).body.tags, ['with space']);
    assert.equal((await tag('DELETE', 'with space')).status, 204);
    assert.equal((await tag('DELETE', 'with space')).status, 404);
    assert.equal((await tag('PUT', 'x'.repeat(256))).status, 400);
    assert.equal((await tag('PUT', 'other', OTHER)).status, 404, "another project's private image");
    assert.equal((await call('PUT', `/v2/images/00000000-0000-0000-0000-000000000000/tags/x`, OWNER)).status, 404);
  });

  it('deactivate/reactivate: owner or admin, active ↔ deactivated, same state is a no-op, other states 403', async () => {
    const id = await create();
    const action = (what: string, headers = OWNER) => call('POST', `/v2/images/${id}/actions/${what}`, headers);
    const queued = await action('deactivate');
    assert.equal(queued.status, 403);
    assert.match(String(queued.body.message), /Not allowed to deactivate image in status 'queued'/);
    await api.app.get(ImageRepository).update(id, {}, { status: 'active' });
    assert.equal((await action('deactivate')).status, 204);
    assert.equal((await call('GET', `/v2/images/${id}`, OWNER)).body.status, 'deactivated');
    assert.equal((await action('deactivate')).status, 204, 'again: no-op');
    assert.equal((await action('reactivate', ADMIN)).status, 204);
    assert.equal((await action('reactivate')).status, 204, 'again: no-op');
    assert.equal((await call('GET', `/v2/images/${id}`, OWNER)).body.status, 'active');
    assert.equal((await action('bogus')).status, 404);
  });

  it('deletes: protected 403, then 204, then 404', async () => {
    const id = await create({ protected: true });
    assert.equal((await call('DELETE', `/v2/images/${id}`, OWNER)).status, 403);
    assert.equal((await patch(id, [{ op: 'replace', path: '/protected', value: false }])).status, 200);
    assert.equal((await call('DELETE', `/v2/images/${id}`, OTHER)).status, 404);
    assert.equal((await call('DELETE', `/v2/images/${id}`, OWNER)).status, 204);
    assert.equal((await call('DELETE', `/v2/images/${id}`, OWNER)).status, 404);
    assert.equal((await call('GET', `/v2/images/${id}`, OWNER)).status, 404);
  });

  it('racing deletes: one answers 204, the others 404, whether the image ends deleted or pending_delete', async () => {
    for (const status of ['queued', 'active'] as const) {
      const id = await create();
      if (status === 'active') await api.app.get(ImageRepository).update(id, {}, { status: 'active', locations: [{ url: 'file:///nowhere', store: 'local', metadata: {}, status: 'active' }] });
      const answers = await Promise.all(Array.from({ length: 10 }, () => call('DELETE', `/v2/images/${id}`, OWNER)));
      const codes = answers.map((r) => r.status).sort();
      assert.deepEqual(codes, [204, ...Array<number>(9).fill(404)], `${status}: ${JSON.stringify(answers.map((r) => r.body))}`);
      assert.equal((await api.app.get(ImageRepository).findById(id))!.status, status === 'active' ? 'pending_delete' : 'deleted');
    }
  });

  it('racing member removals: one answers 204, the others 404; a member changing its status meanwhile gets 200 or 404, never 403', async () => {
    const id = await create({ visibility: 'shared' });
    const member = as('proj-b');
    const path = `/v2/images/${id}/members/proj-b`;
    assert.equal((await call('POST', `/v2/images/${id}/members`, OWNER, { member: 'proj-b' })).status, 200);
    const removals = await Promise.all(Array.from({ length: 10 }, () => call('DELETE', path, OWNER)));
    assert.deepEqual(removals.map((r) => r.status).sort(), [204, ...Array<number>(9).fill(404)]);
    for (let round = 0; round < 15; round++) {
      assert.equal((await call('POST', `/v2/images/${id}/members`, OWNER, { member: 'proj-b' })).status, 200);
      const [removal, ...updates] = await Promise.all([
        call('DELETE', path, OWNER),
        ...Array.from({ length: 6 }, (_, i) => call('PUT', path, member, { status: i % 2 ? 'accepted' : 'rejected' })),
      ]);
      assert.equal(removal!.status, 204);
      for (const u of updates) {
        assert.ok(u.status === 200 || u.status === 404, `round ${round}: ${u.status} ${JSON.stringify(u.body)}`);
      }
    }
    assert.equal((await call('GET', path, OWNER)).status, 404);
  });

  it('a deleted or pending_delete image is 404 to everyone, admins included, on every path that names it', async () => {
    const repo = api.app.get(ImageRepository);
    for (const status of ['deleted', 'pending_delete'] as const) {
      const id = await create({ visibility: 'shared' });
      assert.equal((await call('POST', `/v2/images/${id}/members`, OWNER, { member: 'proj-b' })).status, 200);
      await repo.update(id, {}, { status, deletedAt: new Date() });
      const probes: [string, string, unknown?][] = [
        ['GET', `/v2/images/${id}`],
        ['GET', `/v2/images/${id}/file`],
        ['GET', `/v2/images/${id}/tasks`],
        ['GET', `/v2/images/${id}/members`],
        ['GET', `/v2/images/${id}/members/proj-b`],
        ['PUT', `/v2/images/${id}/members/proj-b`, { status: 'accepted' }],
        ['DELETE', `/v2/images/${id}/members/proj-b`],
        ['POST', `/v2/images/${id}/members`, { member: 'proj-c' }],
        ['PATCH', `/v2/images/${id}`, [{ op: 'replace', path: '/name', value: 'x' }]],
        ['PUT', `/v2/images/${id}/tags/t`],
        ['DELETE', `/v2/images/${id}/tags/t`],
        ['POST', `/v2/images/${id}/actions/deactivate`],
        ['POST', `/v2/images/${id}/actions/reactivate`],
        ['POST', `/v2/images/${id}/import`, { method: { name: 'web-download', uri: 'http://example.com/x' } }],
        ['GET', `/v2/images/${id}/locations`],
        ['PUT', `/v2/images/${id}/file`, ''],
        ['PUT', `/v2/images/${id}/stage`, ''],
        ['DELETE', `/v2/images/${id}`],
      ];
      for (const headers of [OWNER, as('proj-b'), ADMIN]) {
        for (const [method, path, body] of probes) {
          const type = method === 'PATCH' ? PATCH21 : path.endsWith('/file') || path.endsWith('/stage') ? 'application/octet-stream' : 'application/json';
          const r = await call(method, path, { ...headers, 'content-type': type }, body);
          assert.equal(r.status, 404, `${status}: ${method} ${path} as ${headers['x-project-id']}: ${JSON.stringify(r.body)}`);
        }
      }
      assert.equal((await repo.findById(id))!.status, status, 'nothing changed it');
      // v1 is another matter: an admin's HEAD shows the deleted record (glanceclient's v1 image-delete checks it).
      const head = await fetch(`${api.url}/v1/images/${id}`, { method: 'HEAD', headers: ADMIN });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('x-image-meta-status'), status);
      assert.equal((await fetch(`${api.url}/v1/images/${id}`, { method: 'HEAD', headers: OWNER })).status, 404);
    }
  });

  it('serves the image, images, member and members schemas; the image schema describes what create accepts', async () => {
    for (const name of ['image', 'images', 'member', 'members']) {
      const r = await call('GET', `/v2/schemas/${name}`, OWNER);
      assert.equal(r.status, 200, name);
      assert.equal(r.body.name, name);
    }
    const image = (await call('GET', '/v2/schemas/image', OWNER)).body as { properties: Record<string, { enum?: unknown[]; maxLength?: number }> };
    assert.deepEqual(image.properties.disk_format!.enum, [null, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']);
    assert.equal(image.properties.name!.maxLength, 255);
    // `stores` is described as a pattern property (the stock glance CLI makes an option of every `properties` entry).
    const patterns = (image as { patternProperties?: Record<string, { type?: string; readOnly?: boolean }> }).patternProperties;
    assert.equal(image.properties.stores, undefined);
    assert.deepEqual({ type: patterns?.['^stores$']?.type, readOnly: patterns?.['^stores$']?.readOnly }, { type: 'string', readOnly: true });
    const images = (await call('GET', '/v2/schemas/images', OWNER)).body as { properties: Record<string, unknown>; links: unknown[] };
    assert.deepEqual(Object.keys(images.properties).sort(), ['first', 'images', 'next', 'schema']);
    assert.equal((await call('GET', '/v2/schemas/bogus', OWNER)).status, 404);
  });

  it('answers a known path with a wrong method 405 and Allow', async () => {
    const r = await call('DELETE', '/v2/images', OWNER);
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, POST');
    const id = await create();
    const put = await call('PUT', `/v2/images/${id}`, OWNER);
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, PATCH, DELETE');
    assert.equal((await call('GET', '/v2/nothing-here', OWNER)).status, 404);
    // An empty image id (a trailing slash) is not the collection: 404, as Glance answers.
    assert.equal((await call('GET', '/v2/images/', OWNER)).status, 404);
    assert.equal((await call('DELETE', '/v2/images/', OWNER)).status, 404);
  });
});
