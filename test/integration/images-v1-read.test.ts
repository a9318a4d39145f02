import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { send } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const as = (project: string, roles = 'member') => ({ accept: 'application/json', 'x-project-id': project, 'x-roles': roles });
const OWNER = as('proj-a');
const OTHER = as('proj-b');
const ADMIN = as('proj-admin', 'admin,member');

describe('Images API v1 beside v2: lists, HEAD and GET on the records v2 writes', () => {
  let api: RunningApi;
  const data = Buffer.from('thirteen byte');
  const md5 = createHash('md5').update(data).digest('hex');
  let active: string;
  let queued: string;
  let shared: string;
  let privateOther: string;

  const v2 = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, { method, headers: { ...headers, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const create = async (headers: Record<string, string>, body: Record<string, unknown>) => {
    const r = await v2('POST', '/v2/images', headers, { disk_format: 'raw', container_format: 'bare', ...body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const get = async (path: string, headers: Record<string, string> = OWNER) => {
    const res = await fetch(`${api.url}${path}`, { headers });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: res.headers.get('content-type')?.includes('json') && text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const ids = (body: Record<string, unknown>) => (body.images as { id: string }[]).map((i) => i.id);

  before(async () => {
    api = await startApi(testConfig());
    active = await create(ADMIN, { name: 'alpha', visibility: 'public', os_distro: 'cirros', Mixed_Case: 'kept', owner: 'proj-a' });
    const up = await send(`${api.url}/v2/images/${active}/file`, 'PUT', { ...ADMIN, 'content-type': 'application/octet-stream' }, data);
    assert.equal(up.status, 204, up.body.toString());
    queued = await create(OWNER, { name: 'beta', min_ram: 512, os_distro: 'debian' });
    shared = await create(OTHER, { name: 'gamma', visibility: 'shared' });
    privateOther = await create(OTHER, { name: 'delta', visibility: 'private' });
    const m = await v2('POST', `/v2/images/${shared}/members`, OTHER, { member: 'proj-a' });
    assert.equal(m.status, 200, JSON.stringify(m.body));
  });
  after(() => api.close());

  it('lists v1 after v2 in the versions document, DEPRECATED, linking /v1/', async () => {
    const doc = (await get('/versions')).body as { versions: { id: string; status: string; links: { href: string }[] }[] };
    assert.deepEqual(doc.versions.slice(-2).map((v) => [v.id, v.status, v.links[0]!.href]), [
      ['v1.1', 'DEPRECATED', `${api.url}/v1/`],
      ['v1.0', 'DEPRECATED', `${api.url}/v1/`],
    ]);
    assert.equal(doc.versions[0]!.id, 'v2.15');
  });

  it('HEAD shows the metadata in x-image-meta-* headers with ETag, never a location or os_glance_*', async () => {
    const res = await send(`${api.url}/v1/images/${active}`, 'HEAD', { ...OWNER, 'content-length': '0' });
    assert.equal(res.status, 200);
    const h = res.headers;
    assert.equal(h['x-image-meta-id'], active);
    assert.equal(h['x-image-meta-name'], 'alpha');
    assert.equal(h['x-image-meta-status'], 'active');
    assert.equal(h['x-image-meta-size'], '13');
    assert.equal(h['x-image-meta-checksum'], md5);
    assert.equal(h.etag, md5);
    assert.equal(h['x-image-meta-is_public'], 'True');
    assert.equal(h['x-image-meta-protected'], 'False');
    assert.equal(h['x-image-meta-deleted'], 'False');
    assert.equal(h['x-image-meta-property-os_distro'], 'cirros');
    assert.equal(h['x-image-meta-property-mixed_case'], 'kept');
    assert.match(String(h['x-image-meta-created_at']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const names = Object.keys(h).filter((k) => k.startsWith('x-image-meta-'));
    assert.ok(!names.some((k) => /location|os_glance|os_hash|tags|visibility|deleted_at/.test(k)), names.join());
    assert.equal(res.body.length, 0);
    const q = await send(`${api.url}/v1/images/${queued}`, 'HEAD', OWNER);
    assert.equal(q.status, 200);
    assert.equal(q.headers['x-image-meta-status'], 'queued');
    assert.equal(q.headers['x-image-meta-checksum'], undefined);
    assert.equal(q.headers.etag, undefined);
    assert.equal(q.headers['x-image-meta-min_ram'], '512');
  });

  it('GET streams the data with its checksum; a queued image is 404, a deactivated one 403', async () => {
    const res = await send(`${api.url}/v1/images/${active}`, 'GET', { ...OWNER, 'content-length': '0' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, data);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['content-length'], '13');
    assert.equal(res.headers.etag, md5);
    assert.equal(res.headers['x-image-meta-checksum'], md5);
    const q = await get(`/v1/images/${queued}`);
    assert.equal(q.status, 404);
    assert.match(q.text, new RegExp(`Image ${queued} is not active`));
    assert.equal((await v2('POST', `/v2/images/${active}/actions/deactivate`, ADMIN)).status, 204);
    const d = await get(`/v1/images/${active}`, ADMIN);
    assert.equal(d.status, 403);
    assert.match(d.text, /is deactivated/);
    assert.equal((await v2('POST', `/v2/images/${active}/actions/reactivate`, ADMIN)).status, 204);
  });

  it("answers 404 in v1's words for an invisible or unknown image, to HEAD and GET alike", async () => {
    for (const id of [privateOther, '11111111-2222-3333-4444-555555555555']) {
      const h = await send(`${api.url}/v1/images/${id}`, 'HEAD', OWNER);
      assert.equal(h.status, 404);
      const g = await get(`/v1/images/${id}`);
      assert.equal(g.status, 404);
      assert.match(g.text, new RegExp(`Image with identifier ${id} not found`));
    }
    assert.equal((await send(`${api.url}/v1/images/${privateOther}`, 'HEAD', ADMIN)).status, 200, 'admins see every image');
  });

  it('brief and detail lists: public, own and shared-with-me (any member status), not others\' private', async () => {
    const brief = await get('/v1/images');
    assert.equal(brief.status, 200);
    assert.deepEqual(Object.keys(brief.body), ['images']);
    assert.deepEqual(new Set(ids(brief.body)), new Set([active, queued, shared]));
    const first = (brief.body.images as Record<string, unknown>[]).find((i) => i.id === active)!;
    assert.deepEqual(first, { id: active, name: 'alpha', disk_format: 'raw', container_format: 'bare', checksum: md5, size: 13 });
    const detail = await get('/v1/images/detail');
    assert.deepEqual(Object.keys(detail.body), ['images'], 'no next/previous links');
    const q = (detail.body.images as Record<string, unknown>[]).find((i) => i.id === queued)!;
    assert.equal(Object.keys(q).length, 18);
    assert.equal(q.size, 0);
    assert.equal(q.is_public, false);
    assert.deepEqual(q.properties, { os_distro: 'debian' });
    assert.match(String(q.created_at), /\.\d{6}$/);
    // Every path that names v1: /v1, /v1/, /v1.0/images, /v1.1/images.
    for (const path of ['/v1', '/v1/', '/v1.0/images', '/v1.1/images']) assert.deepEqual(new Set(ids((await get(path)).body)), new Set([active, queued, shared]), path);
  });

  it('filters: name, status, formats, size range, property-*, min_ram, changes-since; sort_key/sort_dir; limit and marker', async () => {
    const list = async (qs: string, headers = OWNER) => {
      const r = await get(`/v1/images/detail?${qs}`, headers);
      assert.equal(r.status, 200, `${qs}: ${r.text}`);
      return ids(r.body);
    };
    assert.deepEqual(await list('name=alpha'), [active]);
    assert.deepEqual(await list('name=in:alpha,beta'), [], 'v1 filters are literal');
    assert.deepEqual(await list('status=queued&sort_key=name&sort_dir=asc'), [queued, shared]);
    assert.deepEqual(await list('size_min=13&size_max=13'), [active]);
    assert.deepEqual(await list('size_min=14'), []);
    assert.deepEqual(await list('property-os_distro=debian'), [queued]);
    assert.deepEqual(await list('min_ram=512'), [queued]);
    assert.deepEqual(await list('disk_format=raw&container_format=bare&sort_key=name&sort_dir=desc'), [shared, queued, active]);
    assert.deepEqual(await list('sort_key=name&sort_dir=asc&limit=2'), [active, queued]);
    assert.deepEqual(await list(`sort_key=name&sort_dir=asc&limit=2&marker=${queued}`), [shared]);
    assert.deepEqual(await list('changes-since=2000-01-01T00:00:00Z&name=alpha'), [active]);
    assert.deepEqual(await list('changes-since=2999-01-01T00:00:00Z'), []);
    assert.deepEqual(await list('limit=0'), []);
    const bad: [string, RegExp][] = [
      ['sort_key=owner', /Unsupported sort_key/],
      ['sort_dir=sideways', /Unsupported sort_dir/],
      ['limit=ten', /limit param must be an integer/],
      ['size_min=-1', /Bad value passed to filter size_min got -1/],
      ['is_public=perhaps', /Bad value passed to filter is_public got perhaps/],
      ['changes-since=soon', /Unrecognized changes-since value/],
      ['marker=abc', /Invalid marker format/],
      [`marker=${privateOther}`, /Invalid marker. Image could not be found./],
    ];
    for (const [qs, message] of bad) {
      const r = await get(`/v1/images/detail?${qs}`);
      assert.equal(r.status, 400, qs);
      assert.match(r.text, message, qs);
    }
  });

  it('admins: is_public=None lists every project, false every non-public image, absent their own view', async () => {
    const list = async (qs: string) => new Set(ids((await get(`/v1/images/detail?${qs}`, ADMIN)).body));
    assert.deepEqual(await list('is_public=None'), new Set([active, queued, shared, privateOther]));
    assert.deepEqual(await list('is_public=false'), new Set([queued, shared, privateOther]));
    assert.deepEqual(await list(''), new Set([active]));
    assert.deepEqual(new Set(ids((await get('/v1/images/detail?is_public=None', OWNER)).body)), new Set([active, queued, shared]), 'ignored for non-admins');
  });

  it('HEAD on /images/detail is 405 with Allow: GET; an unknown method on an image is 405', async () => {
    const h = await send(`${api.url}/v1/images/detail`, 'HEAD', OWNER);
    assert.equal(h.status, 405);
    assert.equal(h.headers.allow, 'GET');
    const p = await send(`${api.url}/v1/images/${active}`, 'PATCH', OWNER);
    assert.equal(p.status, 405);
    assert.equal(p.headers.allow, 'GET, HEAD, PUT, DELETE');
    const members = await send(`${api.url}/v1/images/${active}/members`, 'POST', OWNER);
    assert.equal(members.status, 405);
    assert.equal(members.headers.allow, 'GET, PUT');
  });
});

describe('Images API v1 turned off (GLIMPSE_API_V1=false)', () => {
  let api: RunningApi;
  before(async () => (api = await startApi(testConfig({ GLIMPSE_API_V1: 'false' }))));
  after(() => api.close());

  it('is absent from the versions document and /v1 answers like any unknown version', async () => {
    const doc = (await (await fetch(`${api.url}/versions`)).json()) as { versions: { id: string }[] };
    assert.ok(!doc.versions.some((v) => v.id.startsWith('v1')));
    assert.equal((await fetch(`${api.url}/v1/images`, { headers: OWNER })).status, 300);
  });
});
