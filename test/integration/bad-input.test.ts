import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { testConfig } from '../support/test-config.js';

/**
 * Malformed requests of every kind: each must get a 4xx in Glance's JSON error shape, promptly — never a 500
 * or a hang. Each case may also name the exact status (and a message pattern) Glance answers.
 */

const as = (project: string, roles = 'member') => ({ accept: 'application/json', 'x-project-id': project, 'x-roles': roles });
const OWNER = as('proj-a');
const ADMIN = as('proj-admin', 'admin');
const JSON_TYPE = { 'content-type': 'application/json' };
const PATCH21 = { 'content-type': 'application/openstack-images-v2.1-json-patch' };
const OCTETS = { 'content-type': 'application/octet-stream' };

interface Case {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  status?: number;
  message?: RegExp;
  /** Input Glance takes (an odd but valid value): any answer but a 5xx or a hang; a 4xx still in error shape. */
  accepted?: true;
}

describe('bad input: a clear 4xx in Glance error shape, never a 500 or a hang', () => {
  let api: RunningApi;
  let queued: string;
  let active: string;
  let priv: string;

  const send = async (c: Case) => {
    const { method = 'GET', path, headers = {}, body } = c;
    if (body instanceof Uint8Array && body.length > 1024 * 1024) return sendAlone(`${api.url}${path}`, method, { ...OWNER, ...headers }, body);
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { ...OWNER, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, text: await res.text() };
  };

  /** Sends every case and collects every wrong answer, so one run shows them all. */
  const expectRefused = async (cases: Case[]) => {
    const wrong: string[] = [];
    for (const c of cases) {
      const body = typeof c.body === 'string' ? c.body : c.body instanceof Uint8Array ? `(${c.body.length} bytes)` : JSON.stringify(c.body);
      const label = `${c.method ?? 'GET'} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers ?? {}).slice(0, 120)} ${body?.slice(0, 80) ?? ''}`;
      let res;
      try {
        res = await send(c);
      } catch (err) {
        wrong.push(`${label} → no answer (${(err as Error).name}: ${String((err as Error).cause ?? (err as Error).message)})`);
        continue;
      }
      const problem = shapeProblem(res.status, res.text, c);
      if (problem) wrong.push(`${label} → ${res.status} ${problem}: ${res.text.slice(0, 200)}`);
    }
    assert.deepEqual(wrong, []);
  };

  before(async () => {
    api = await startApi(testConfig());
    const create = async (body: Record<string, unknown>) => {
      const res = await send({ method: 'POST', path: '/v2/images', headers: JSON_TYPE, body: { disk_format: 'raw', container_format: 'bare', ...body } });
      assert.equal(res.status, 201, res.text);
      return (JSON.parse(res.text) as { id: string }).id;
    };
    queued = await create({ name: 'queued', visibility: 'shared' });
    priv = await create({ name: 'private', visibility: 'private' });
    active = await create({ name: 'active' });
    const upload = await send({ method: 'PUT', path: `/v2/images/${active}/file`, headers: OCTETS, body: new Uint8Array(1024) });
    assert.equal(upload.status, 204, upload.text);
  });
  after(() => api.close());

  it('POST /v2/images: malformed JSON, wrong content types, wrong value types', async () => {
    const post = (body: unknown, headers: Record<string, string> = JSON_TYPE, extra: Partial<Case> = {}): Case => ({ method: 'POST', path: '/v2/images', headers, body, ...extra });
    await expectRefused([
      post('{"name": ', JSON_TYPE, { status: 400, message: /^Malformed JSON in request body\./ }),
      post('{"name": "x"}}', JSON_TYPE, { status: 400 }),
      post('nul', JSON_TYPE, { status: 400 }),
      post('[]', JSON_TYPE, { status: 400 }),
      post('"a string"', JSON_TYPE, { status: 400 }),
      post('42', JSON_TYPE, { status: 400 }),
      post('null', JSON_TYPE, { status: 400 }),
      post('\u00ff\u00fe', { 'content-type': 'application/json; charset=latin9' }),
      post('{"name":"x"}', { 'content-type': 'application/json; charset=utf-7' }, { accepted: true }),
      // Glance reads a POST body as JSON whatever its Content-Type: text/plain creates the image.
      post('{"name":"x"}', { 'content-type': 'text/plain' }, { status: 201 }),
      post('{"name":"x"}', {}, { status: 201 }),
      post('<image name="x"/>', { 'content-type': 'application/xml' }, { status: 400, message: /Malformed JSON/ }),
      post({ name: 'x' }, { 'content-type': 'application/json', 'content-encoding': 'br-bogus' }),
      post({ name: 'x' }, { 'content-type': 'application/json', 'content-encoding': 'gzip' }),
      post({ name: 1 }),
      post({ name: ['a'] }),
      post({ name: { $gt: '' } }),
      post({ id: 'not-a-uuid' }),
      post({ id: 42 }),
      post({ id: '' }),
      post({ visibility: 'everyone' }),
      post({ visibility: null }),
      post({ protected: 'yes' }),
      post({ protected: null }),
      post({ os_hidden: 1 }),
      post({ min_ram: 'big' }),
      post({ min_ram: 1.5 }),
      post({ min_disk: 1e300 }),
      post({ min_disk: -1 }),
      post({ container_format: 7 }),
      post({ disk_format: ['raw'] }),
      post({ tags: 'a' }),
      post({ tags: [1, 2] }),
      post({ tags: [null] }),
      post({ tags: ['t'.repeat(256)] }),
      post({ tags: Array.from({ length: 200 }, (_, i) => `t${i}`) }),
      post({ owner: 5 }),
      post({ owner: 'o'.repeat(300) }),
      post({ custom: null }),
      post({ custom: { nested: 'x' } }),
      post({ custom: ['x'] }),
      post({ custom: 'v'.repeat(70000) }, JSON_TYPE, { accepted: true }),
      post({ ['k'.repeat(300)]: 'v' }),
      post({ '': 'empty key' }, JSON_TYPE, { accepted: true }),
      post({ 'a.b': 'dotted' }, JSON_TYPE, { accepted: true }),
      post({ $where: 'dollar' }, JSON_TYPE, { accepted: true }),
      // A key named __proto__ is a custom property like any other: an object value is refused by the schema.
      post('{"__proto__": {"polluted": "yes"}}', JSON_TYPE, { status: 400, message: /not of type 'string'/ }),
      // A NUL anywhere in a document (PostgreSQL, under the embedded FerretDB, can store none).
      post('{"name": "a\\u0000b"}', JSON_TYPE, { status: 400, message: /NUL/ }),
      post('{"tags": ["\\u0000"]}', JSON_TYPE, { status: 400, message: /NUL/ }),
      post('{"k\\u0000": "v"}', JSON_TYPE, { status: 400, message: /NUL/ }),
      post('{"__proto__": {"min_ram": "lots"}}', JSON_TYPE, { status: 400 }),
      post('{"__proto__": {"protected": "yes"}}', JSON_TYPE, { status: 400 }),
      post('{"__proto__": {"owner": "proj-b"}}', JSON_TYPE, { status: 400 }),
      post('{"constructor": {"prototype": {"x": 1}}}', JSON_TYPE, { status: 400 }),
      post({ name: 'x'.repeat(2_000_000) }, JSON_TYPE, { status: 413, message: /^Request body is too large\./ }),
      post('{"name": "lone \\ud800 surrogate"}', JSON_TYPE, { accepted: true }),
      post('\ufeff{"name": "bom"}', JSON_TYPE, { accepted: true }),
      post('{"name": "a", "name": "b"}', JSON_TYPE, { accepted: true }),
      post('{"min_ram": 1e400}', JSON_TYPE, { status: 400 }),
      post('{"min_ram": 9007199254740993}', JSON_TYPE, { status: 400 }),
      post('{"min_disk": -0}', JSON_TYPE, { accepted: true }),
      post('--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }, { status: 400 }),
      post('{"name": "x"}', { 'content-type': 'application/json; charset=latin1' }),
      post(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`p${i}`, 'v'])), JSON_TYPE, { status: 413 }),
      post('{"custom": "\\udfff"}', JSON_TYPE, { accepted: true }),
      post(`{"custom": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`, JSON_TYPE, { status: 400 }),
      post(`{"custom": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`, JSON_TYPE, { status: 400 }),
    ]);
  });

  it('PATCH /v2/images/{id}: bad ops, paths, value types, bodies and media types', async () => {
    const patch = (body: unknown, headers: Record<string, string> = PATCH21, id = queued, extra: Partial<Case> = {}): Case => ({ method: 'PATCH', path: `/v2/images/${id}`, headers, body, ...extra });
    await expectRefused([
      patch('[{"op": "replace"', PATCH21),
      patch([{ op: 'add', path: '/x_nul', value: 'a\u0000' }], PATCH21, queued, { status: 400, message: /NUL/ }),
      patch({ op: 'replace', path: '/name', value: 'x' }),
      patch('"str"'),
      patch('null'),
      patch([], PATCH21, queued, { accepted: true }),
      patch([null]),
      patch([[]]),
      patch(['op']),
      patch([{}]),
      patch([{ op: 'test', path: '/name', value: 'x' }]),
      patch([{ op: 'move', from: '/name', path: '/x' }]),
      patch([{ op: 'copy', from: '/name', path: '/x' }]),
      patch([{ op: 7, path: '/name', value: 'x' }]),
      patch([{ op: 'replace', path: 'name', value: 'x' }]),
      patch([{ op: 'replace', path: '', value: 'x' }]),
      patch([{ op: 'replace', path: '/', value: 'x' }]),
      patch([{ op: 'replace', path: '//', value: 'x' }]),
      patch([{ op: 'replace', path: '/name/x', value: 'x' }]),
      patch([{ op: 'replace', path: '/~2', value: 'x' }]),
      patch([{ op: 'replace', path: 5, value: 'x' }]),
      patch([{ op: 'replace', path: null, value: 'x' }]),
      patch([{ op: 'replace', path: ['/name'], value: 'x' }]),
      patch([{ op: 'replace', path: '/name' }]),
      patch([{ op: 'replace', path: '/name', value: 5 }]),
      patch([{ op: 'replace', path: '/name', value: { a: 1 } }]),
      patch([{ op: 'replace', path: '/min_ram', value: '1024' }]),
      patch([{ op: 'replace', path: '/min_ram', value: -5 }]),
      patch([{ op: 'replace', path: '/min_ram', value: 1e300 }]),
      patch([{ op: 'replace', path: '/protected', value: 'true' }]),
      patch([{ op: 'replace', path: '/visibility', value: 'everyone' }]),
      patch([{ op: 'replace', path: '/visibility', value: null }]),
      patch([{ op: 'replace', path: '/tags', value: 'a' }]),
      patch([{ op: 'replace', path: '/tags', value: [1] }]),
      patch([{ op: 'replace', path: '/tags', value: null }]),
      patch([{ op: 'add', path: '/tags/-', value: 'x' }]),
      patch([{ op: 'add', path: '/tags/0', value: 'x' }]),
      patch([{ op: 'replace', path: '/disk_format', value: 'bogus' }]),
      patch([{ op: 'replace', path: '/container_format', value: null }], PATCH21, active),
      patch([{ op: 'add', path: '/custom', value: 5 }]),
      patch([{ op: 'add', path: '/custom', value: null }]),
      patch([{ op: 'add', path: '/custom', value: ['x'] }]),
      patch([{ op: 'add', path: '/custom', value: { a: 'b' } }]),
      patch(`[{"op": "add", "path": "/custom", "value": ${'['.repeat(200_000)}${']'.repeat(200_000)}}]`, PATCH21, queued, { status: 400 }),
      // Names of Object.prototype's members are property names like any other: absent until added.
      patch([{ op: 'remove', path: '/__proto__' }], PATCH21, queued, { status: 409, message: /Property __proto__ does not exist/ }),
      patch([{ op: 'remove', path: '/toString' }], PATCH21, queued, { status: 409, message: /Property toString does not exist/ }),
      patch([{ op: 'replace', path: '/hasOwnProperty', value: 'x' }], PATCH21, queued, { status: 409 }),
      patch([{ op: 'add', path: '/__proto__', value: { min_ram: 'x' } }], PATCH21, queued, { status: 400, message: /not of type 'string'/ }),
      patch([{ op: 'add', path: '/__proto__', value: 'x' }], PATCH21, queued, { accepted: true }),
      patch([{ op: 'add', path: '/constructor', value: 'x' }], PATCH21, queued, { accepted: true }),
      patch([{ op: 'add', path: '/$set', value: 'x' }], PATCH21, queued, { accepted: true }),
      patch([{ op: 'add', path: '/a.b', value: 'x' }], PATCH21, queued, { accepted: true }),
      patch([{ op: 'add', path: `/${'k'.repeat(300)}`, value: 'x' }]),
      patch([{ op: 'replace', path: '/id', value: 'x' }]),
      patch([{ op: 'replace', path: '/status', value: 'active' }]),
      patch([{ op: 'replace', path: '/locations', value: [] }]),
      patch([{ add: '/custom', value: 'x', remove: '/name' }], { 'content-type': 'application/openstack-images-v2.0-json-patch' }),
      patch([{ add: 5, value: 'x' }], { 'content-type': 'application/openstack-images-v2.0-json-patch' }),
      patch([{ op: 'replace', path: '/name', value: 'x' }], { 'content-type': 'application/json-patch+json' }),
      patch([{ op: 'replace', path: '/name', value: 'x' }], { 'content-type': 'application/json' }),
      patch([{ op: 'replace', path: '/name', value: 'x' }], { 'content-type': 'text/plain' }),
      patch([{ op: 'replace', path: '/name', value: 'x' }], {}),
      patch([{ op: 'replace', path: '/name', value: 'x' }], { 'content-type': ';;;' }),
      patch([{ op: 'replace', path: '/name', value: 'x' }], PATCH21, 'not-a-uuid'),
      patch([{ op: 'replace', path: '/name', value: 'x' }], { 'content-type': 'application/openstack-images-v2.1-json-patch; charset=latin1' }),
      patch([{ op: 'replace', path: '/tags', value: Array.from({ length: 200 }, (_, i) => `t${i}`) }], PATCH21, queued, { status: 413 }),
      patch(Array.from({ length: 200 }, (_, i) => ({ op: 'add', path: `/p${i}`, value: 'v' })), PATCH21, queued, { status: 413 }),
      patch([{ op: 'replace', path: '/owner', value: 'o'.repeat(300) }], { ...PATCH21, ...ADMIN }, queued, { status: 400 }),
      patch([{ op: 'replace', path: '/name', value: 'x' }], PATCH21, 'x'.repeat(5000)),
    ]);
  });

  it('__proto__, constructor and toString are property names like any other', async () => {
    const own = (text: string) => JSON.parse(text) as Record<string, unknown>;
    const made = await send({ method: 'POST', path: '/v2/images', headers: JSON_TYPE, body: '{"__proto__": "p", "constructor": "c"}' });
    assert.equal(made.status, 201, made.text);
    const { id } = own(made.text) as { id: string };
    assert.equal(Object.getOwnPropertyDescriptor(own(made.text), '__proto__')?.value, 'p', made.text);
    assert.equal(own(made.text).constructor, 'c', made.text);
    const listed = await send({ path: '/v2/images?__proto__=p' });
    assert.deepEqual((own(listed.text).images as { id: string }[]).map((i) => i.id), [id], listed.text);
    const patched = await send({ method: 'PATCH', path: `/v2/images/${id}`, headers: PATCH21, body: [{ op: 'replace', path: '/__proto__', value: 'q' }, { op: 'remove', path: '/constructor' }] });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(Object.getOwnPropertyDescriptor(own(patched.text), '__proto__')?.value, 'q');
    assert.ok(!Object.hasOwn(own(patched.text), 'constructor'), patched.text);
  });

  it('image ids that are not UUIDs, tags with odd characters and lengths', async () => {
    const odd = ['not-a-uuid', '%00', '%ff%fe', '..', '%2e%2e', 'a%2Fb', '%F0%9F%98%80', 'x'.repeat(5000), '$where', '{"$gt":""}', '%25', '%'];
    const cases: Case[] = [];
    for (const id of odd) {
      cases.push({ path: `/v2/images/${id}` });
      cases.push({ method: 'DELETE', path: `/v2/images/${id}` });
      cases.push({ path: `/v2/images/${id}/file` });
      cases.push({ path: `/v2/images/${id}/members` });
      cases.push({ path: `/v2/images/${id}/tasks` });
      cases.push({ method: 'PUT', path: `/v2/images/${id}/tags/x` });
      cases.push({ method: 'POST', path: `/v2/images/${id}/actions/deactivate` });
      // Odd characters make odd but valid tags; a tag longer than 255 or with 4-byte UTF-8 is refused.
      const long = id.length > 255;
      cases.push({ method: 'PUT', path: `/v2/images/${queued}/tags/${id}`, ...(long ? { status: 400 } : { accepted: true }) });
      cases.push({ method: 'DELETE', path: `/v2/images/${queued}/tags/${id}`, ...(long ? { status: 404 } : { accepted: true }) });
    }
    cases.push({ method: 'PUT', path: `/v2/images/${queued}/tags/${'t'.repeat(256)}`, status: 400 });
    cases.push({ method: 'PUT', path: `/v2/images/${queued}/tags/%F0%9F%98%80`, status: 400 });
    await expectRefused(cases);
  });

  it('members endpoints: bad bodies, ids and statuses', async () => {
    const members = `/v2/images/${queued}/members`;
    await expectRefused([
      { method: 'POST', path: members, headers: JSON_TYPE, body: '{', status: 400 },
      { method: 'POST', path: members, headers: JSON_TYPE, body: 'null', status: 400 },
      { method: 'POST', path: members, headers: JSON_TYPE, body: [], status: 400 },
      { method: 'POST', path: members, headers: JSON_TYPE, body: {}, status: 400 },
      { method: 'POST', path: members, headers: JSON_TYPE, body: { member: 5 }, status: 400 },
      { method: 'POST', path: members, headers: JSON_TYPE, body: { member: '' }, status: 400 },
      { method: 'POST', path: members, headers: JSON_TYPE, body: { member: ['p'] }, status: 400 },
      { method: 'POST', path: members, headers: JSON_TYPE, body: { member: { $gt: '' } }, status: 400 },
      { method: 'POST', path: members, headers: JSON_TYPE, body: { member: 'm'.repeat(300) }, status: 400 },
      { method: 'POST', path: members, headers: { 'content-type': 'text/plain' }, body: 'member=x' },
      { method: 'POST', path: `/v2/images/${priv}/members`, headers: JSON_TYPE, body: { member: 'p' }, status: 403 },
      { method: 'PUT', path: `${members}/proj-b`, headers: JSON_TYPE, body: { status: 'maybe' }, status: 400 },
      { method: 'PUT', path: `${members}/proj-b`, headers: JSON_TYPE, body: { status: null }, status: 400 },
      { method: 'PUT', path: `${members}/proj-b`, headers: JSON_TYPE, body: '[1]', status: 400 },
      { method: 'PUT', path: `${members}/proj-b`, headers: JSON_TYPE, body: '{"status":', status: 400 },
      { path: `${members}/${'m'.repeat(5000)}` },
      { path: `${members}/%00` },
      { path: `${members}/%` },
      { method: 'DELETE', path: `${members}/nobody`, status: 404 },
      { method: 'GET', path: `/v2/images/${priv}/members`, status: 403 },
    ]);
  });

  it('GET /v2/images: bad limits, markers, sorts, filters and repeated parameters', async () => {
    const ACCEPTED = 0;
    const list = (query: string, status?: number): Case => ({ path: `/v2/images?${query}`, ...(status === ACCEPTED ? { accepted: true } : { status }) });
    await expectRefused([
      list('limit=-1', 400),
      list('limit=abc', 400),
      list('limit=1.5', 400),
      list('limit=', 400),
      list('limit=1e3', 400),
      list('limit=0x10', 400),
      list('limit=1&limit=x', 400),
      list('limit[]=1', ACCEPTED),
      list('limit[a]=1', ACCEPTED),
      list('marker=not-a-uuid', 400),
      list('marker=00000000-0000-0000-0000-000000000000', 400),
      list(`marker=${'m'.repeat(5000)}`, 400),
      list('marker=', 400),
      list('limit=0', ACCEPTED),
      list('limit=99999999999999999999', ACCEPTED),
      list('sort_key=size&sort_dir=asc&limit=1', ACCEPTED),
      list('sort_key=bogus', 400),
      list('sort_key=', 400),
      list('sort_key=__proto__', 400),
      list('sort_dir=sideways', 400),
      list('sort_key=name&sort_dir=asc&sort_dir=desc&sort_dir=asc', 400),
      list('sort=name:up', 400),
      list('sort=bogus', 400),
      list('sort=:asc', 400),
      list('sort=name:asc:extra', 400),
      list('sort=,,,', 400),
      list('sort=name&sort_key=name', 400),
      list('sort=toString', 400),
      list('sort=name:', ACCEPTED),
      list('created_at=gte:notadate', 400),
      list('created_at=bogus:2020-01-01T00:00:00Z', 400),
      list('created_at=gte:', 400),
      list('created_at=', 400),
      list('created_at=2020-13-45T99:99:99Z', 400),
      list('created_at=2020-01-01T24:00:00Z', 400),
      list('created_at=0050-01-01', ACCEPTED),
      list('created_at=gte:2020-01-01T00:00:00Z&created_at=lol', 400),
      list('updated_at=lt:yesterday', 400),
      list('updated_at=neq:2020-02-30', 400),
      list('size_min=abc', 400),
      list('size_max=-1', 400),
      list('size_min=1e3', 400),
      list('size_min=99999999999999999999999999', ACCEPTED),
      list('min_ram=x', 400),
      list('min_disk=-1', 400),
      list('protected=maybe', 400),
      list('os_hidden=1', 400),
      list('visibility=everyone', 400),
      list('member_status=maybe', 400),
      list('changes-since=2020-01-01', 400),
      list('name=in:"unbalanced', 400),
      list('name=in:"a"b', 400),
      list('name=in:a,b"c', 400),
      list('id=in:"', 400),
      list('status=in:,,,', ACCEPTED),
      list('name[$gt]=', ACCEPTED),
      list('name[]=a&name[]=b', ACCEPTED),
      list('tag[$ne]=x', ACCEPTED),
      list('owner[$ne]=x', ACCEPTED),
      list('checksum[$regex]=.*', ACCEPTED),
      list('custom[$ne]=x', ACCEPTED),
      list('$where=1', ACCEPTED),
      list('__proto__=x', ACCEPTED),
      list('constructor=x', ACCEPTED),
      list('a.b=x', ACCEPTED),
      list('%ff=x', ACCEPTED),
      list('name=%ff', ACCEPTED),
      list('name=%', ACCEPTED),
      list('name=a&name=b&tag=x&tag=y&sort_key=name&sort_key=status', ACCEPTED),
      list(`name=${'n'.repeat(6000)}`, ACCEPTED),
    ]);
  });

  it('PUT and GET /file: bad content types, ranges, states', async () => {
    const file = (id: string) => `/v2/images/${id}/file`;
    await expectRefused([
      { method: 'PUT', path: file(queued), headers: JSON_TYPE, body: '{}', status: 415 },
      { method: 'PUT', path: file(queued), headers: {}, body: 'x', status: 415 },
      { method: 'PUT', path: file(active), headers: OCTETS, body: 'x', status: 409 },
      { method: 'PUT', path: file(active), headers: { ...OCTETS, 'content-range': 'bytes 0-1/2' }, body: 'xy', status: 409 },
      { method: 'PUT', path: file(queued), headers: { ...OCTETS, 'x-openstack-image-size': 'abc' }, body: 'xy', status: 400 },
      { method: 'PUT', path: file(queued), headers: { ...OCTETS, 'x-openstack-image-size': '-1' }, body: 'xy', status: 400 },
      { method: 'PUT', path: file(queued), headers: { ...OCTETS, 'x-image-meta-store': 'nowhere' }, body: 'xy', status: 400 },
      { method: 'PUT', path: file(queued), headers: { ...OCTETS, 'x-image-meta-store': 's'.repeat(5000) }, body: 'xy', status: 400 },
      { method: 'PUT', path: file(queued), headers: { ...OCTETS, 'x-image-meta-store': '__proto__' }, body: 'xy', status: 400 },
      { method: 'PUT', path: `/v2/images/${active}/stage`, headers: OCTETS, body: 'x', status: 409 },
      { method: 'PUT', path: `/v2/images/${queued}/stage`, headers: { 'content-type': 'text/plain' }, body: 'x', status: 415 },
      { path: file(active), headers: { range: 'bytes=5000-' }, status: 416 },
      { path: file(active), headers: { range: 'bytes=-0' }, status: 416 },
      { path: file(active), headers: { range: 'bytes=0-1,3-4' }, status: 400 },
      { path: file(active), headers: { range: 'bytes=99999999999999999999999-' }, status: 416 },
      { path: file(active), headers: { 'content-range': 'bytes 9999-99999/100000' }, status: 416 },
    ]);
    // Upload headers that must not break a fresh queued image: each gets its own.
    const fresh = async () => {
      const res = await send({ method: 'POST', path: '/v2/images', headers: JSON_TYPE, body: { disk_format: 'raw', container_format: 'bare' } });
      return (JSON.parse(res.text) as { id: string }).id;
    };
    // A refusal while the client is still sending a large body must still reach it (not a reset or a hang).
    const big = new Uint8Array(8 * 1024 * 1024);
    await expectRefused([
      { method: 'PUT', path: file(active), headers: OCTETS, body: big, status: 409 },
      { method: 'PUT', path: file(queued), headers: { 'content-type': 'text/plain' }, body: big, status: 415 },
      { method: 'PUT', path: file('00000000-0000-0000-0000-000000000000'), headers: OCTETS, body: big, status: 404 },
      { method: 'PUT', path: file(await fresh()), headers: { ...OCTETS, 'x-openstack-image-size': '10' }, body: big, status: 400 },
      { method: 'PUT', path: `/v2/images/${active}/stage`, headers: OCTETS, body: big, status: 409 },
    ]);
    await expectRefused([
      { method: 'PUT', path: file(await fresh()), headers: { ...OCTETS, 'content-range': 'garbage' }, body: 'xy', accepted: true },
      { method: 'PUT', path: file(await fresh()), headers: { ...OCTETS, 'content-range': 'bytes 0-1/2' }, body: 'xy', accepted: true },
      { method: 'PUT', path: file(await fresh()), headers: { ...OCTETS, 'x-openstack-image-size': '99999999999999999999999' }, body: 'xy' },
      { method: 'PUT', path: file(await fresh()), headers: { ...OCTETS, 'x-openstack-image-size': '3' }, body: 'xy', status: 400 },
    ]);
    // Malformed Range headers are ignored: the whole image, never an error.
    for (const range of ['bytes=', 'bytes=abc', 'bytes=5-2', 'lines=0-1', 'bytes=--1', '=', 'bytes=-99999999999999999999999', 'bytes=0-99999999999999999999999']) {
      const res = await send({ path: `/v2/images/${active}/file`, headers: { range } });
      assert.ok(res.status === 200 || res.status === 206, `${range} → ${res.status} ${res.text.slice(0, 200)}`);
    }
  });

  it('images in the wrong state: staged, deactivated, deleted', async () => {
    const made = await send({ method: 'POST', path: '/v2/images', headers: JSON_TYPE, body: { disk_format: 'raw', container_format: 'bare' } });
    const { id } = JSON.parse(made.text) as { id: string };
    assert.equal((await send({ method: 'PUT', path: `/v2/images/${id}/stage`, headers: OCTETS, body: 'xy' })).status, 204);
    const imp = (body: unknown, extra: Partial<Case> = {}): Case => ({ method: 'POST', path: `/v2/images/${id}/import`, headers: JSON_TYPE, body, ...extra });
    await expectRefused([
      { method: 'PUT', path: `/v2/images/${id}/stage`, headers: OCTETS, body: 'xy', status: 409 },
      { method: 'PUT', path: `/v2/images/${id}/file`, headers: OCTETS, body: 'xy', status: 409 },
      { path: `/v2/images/${id}/file`, headers: { range: 'bytes=0-1' }, accepted: true },
      imp({ method: { name: 'web-download', uri: 'http://example.com/x' } }, { status: 409 }),
      imp({ method: { name: 'copy-image' } }, { headers: { ...ADMIN, ...JSON_TYPE }, status: 409 }),
      imp({ method: { name: 'glance-direct' }, stores: ['nowhere'] }, { status: 409 }),
      imp({ method: { name: 'glance-direct' }, stores: ['__proto__'] }, { status: 409 }),
      imp({ method: { name: 'glance-direct' }, all_stores: true, stores: ['local'] }, { status: 400 }),
      imp({ method: { name: 'glance-direct' }, all_stores_must_succeed: false }, { status: 400 }),
      { method: 'POST', path: `/v2/images/${id}/actions/deactivate`, status: 403 },
      { method: 'POST', path: `/v2/images/${id}/actions/reactivate`, status: 403 },
      { method: 'POST', path: `/v2/images/${id}/actions/bogus`, status: 404 },
    ]);
    assert.equal((await send({ method: 'POST', path: `/v2/images/${active}/actions/deactivate` })).status, 204);
    await expectRefused([
      { path: `/v2/images/${active}/file`, status: 403 },
      { method: 'PATCH', path: `/v2/images/${active}`, headers: PATCH21, body: [{ op: 'replace', path: '/disk_format', value: 'qcow2' }], status: 403 },
      imp({ method: { name: 'copy-image' } }, { path: `/v2/images/${active}/import`, headers: { ...ADMIN, ...JSON_TYPE }, status: 409 }),
    ]);
    assert.equal((await send({ method: 'POST', path: `/v2/images/${active}/actions/reactivate` })).status, 204);
    assert.equal((await send({ method: 'DELETE', path: `/v2/images/${id}` })).status, 204);
    await expectRefused([
      { path: `/v2/images/${id}`, status: 404 },
      { method: 'DELETE', path: `/v2/images/${id}`, status: 404 },
      { method: 'PUT', path: `/v2/images/${id}/stage`, headers: OCTETS, body: 'xy', status: 404 },
      { method: 'PATCH', path: `/v2/images/${id}`, headers: PATCH21, body: [], status: 404 },
      imp({ method: { name: 'glance-direct' } }, { status: 404 }),
    ]);
  });

  it('POST /import: missing and unknown methods, bad uri, stores and flags', async () => {
    const imp = (body: unknown, extra: Partial<Case> = {}): Case => ({ method: 'POST', path: `/v2/images/${queued}/import`, headers: JSON_TYPE, body, ...extra });
    await expectRefused([
      imp('{', { status: 400 }),
      imp('null', { status: 400 }),
      imp([], { status: 400 }),
      imp({}, { status: 400 }),
      imp({ method: 'web-download' }, { status: 400 }),
      imp({ method: null }, { status: 400 }),
      imp({ method: {} }, { status: 400 }),
      imp({ method: { name: 'teleport' } }, { status: 400 }),
      imp({ method: { name: 5 } }, { status: 400 }),
      imp({ method: { name: '__proto__' } }, { status: 400 }),
      imp({ method: { name: 'web-download' } }, { status: 400 }),
      imp({ method: { name: 'web-download', uri: 5 } }, { status: 400 }),
      imp({ method: { name: 'web-download', uri: 'not a url' } }),
      imp({ method: { name: 'web-download', uri: 'file:///etc/passwd' } }),
      imp({ method: { name: 'web-download', uri: 'http://' } }),
      imp({ method: { name: 'web-download', uri: 'http://[::1' } }),
      imp({ method: { name: 'web-download', uri: 'http://127.0.0.1/x' } }, { accepted: true }),
      imp({ method: { name: 'web-download', uri: `http://example.com/${'x'.repeat(70000)}` } }),
      imp({ method: { name: 'web-download', uri: 'http://example.com/x', validation_data: 'x' } }, { status: 400 }),
      imp({ method: { name: 'web-download', uri: 'http://example.com/x', validation_data: { os_hash_algo: 'md4', os_hash_value: 'ab' } } }, { status: 400 }),
      imp({ method: { name: 'web-download', uri: 'http://example.com/x', validation_data: { size: -1 } } }, { status: 400 }),
      imp({ method: { name: 'web-download', uri: 'http://example.com/x', validation_data: { os_hash_algo: 'constructor', os_hash_value: 'ab' } } }, { status: 400, message: /Unsupported os_hash_algo/ }),
      imp({ method: { name: 'web-download', uri: 'http://example.com/x', validation_data: { os_hash_algo: 'toString', os_hash_value: 'ab' } } }, { status: 400, message: /Unsupported os_hash_algo/ }),
      imp({ method: { name: 'glance-direct' }, stores: 'local' }, { status: 400 }),
      imp({ method: { name: 'glance-direct' }, stores: [5] }, { status: 400 }),
      imp({ method: { name: 'glance-direct' }, stores: [''] }, { status: 400 }),
      imp({ method: { name: 'glance-direct' }, stores: ['nowhere'] }),
      imp({ method: { name: 'glance-direct' }, stores: ['__proto__'] }),
      imp({ method: { name: 'glance-direct' }, stores: [] }),
      imp({ method: { name: 'glance-direct' }, all_stores: 'yes' }, { status: 400 }),
      imp({ method: { name: 'glance-direct' }, all_stores: 1 }, { status: 400 }),
      imp({ method: { name: 'glance-direct' }, all_stores_must_succeed: null }, { status: 400 }),
      imp({ method: { name: 'glance-direct' }, all_stores: true, stores: ['local'] }),
      imp({ method: { name: 'glance-direct' } }, { status: 409 }),
      imp({ method: { name: 'copy-image' } }),
      imp({ method: { name: 'copy-image' }, stores: ['nowhere'] }, { path: `/v2/images/${active}/import` }),
      imp({ method: { name: 'glance-direct' } }, { headers: { ...JSON_TYPE, 'x-image-meta-store': 'nowhere' } }),
      imp({ method: { name: 'glance-direct' } }, { headers: { ...JSON_TYPE, 'x-image-meta-store': 'constructor' } }),
      imp({ method: { name: 'copy-image' }, stores: ['constructor'] }, { path: `/v2/images/${active}/import` }),
      imp({ method: { name: 'glance-direct' } }, { headers: { 'content-type': 'text/plain' } }),
      imp({ method: { name: 'glance-direct' } }, { path: '/v2/images/not-a-uuid/import', status: 404 }),
    ]);
  });

  it('/v2/tasks and /v2/schemas: bad filters, unknown names', async () => {
    const task = (path: string, expected: Partial<Case>): Case => ({ path: `/v2/tasks${path}`, headers: ADMIN, ...expected });
    const names = ['unknown', '__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    await expectRefused([
      ...['status=bogus', 'type=bogus', 'sort_key=bogus', 'sort_dir=up', 'limit=-1', 'limit=x', 'marker=x', 'status=pending&status=success']
        .map((query) => task(`?${query}`, { status: 400 })),
      task('?marker=00000000-0000-0000-0000-000000000000', { status: 400, message: /could not be found/ }),
      task('?status[$ne]=x', { accepted: true }),
      task('?limit[]=1', { accepted: true }),
      task('/not-a-uuid', { status: 404 }),
      task(`/${'t'.repeat(5000)}`, { status: 404 }),
      task('/%', { status: 400 }),
      task('/x', { method: 'DELETE', status: 405 }),
      ...names.flatMap((name): Case[] => [
        { path: `/v2/schemas/${name}`, status: 404 },
        { path: `/v2/schemas/metadefs/${name}`, status: 404 },
      ]),
    ]);
  });

  it('metadefs: namespace, object, property and tag bodies with wrong types', async () => {
    const ns = '/v2/metadefs/namespaces';
    const made = await send({ method: 'POST', path: ns, headers: { ...ADMIN, ...JSON_TYPE }, body: { namespace: 'fuzz' } });
    assert.equal(made.status, 201, made.text);
    const admin = (c: Case): Case => ({ ...c, headers: { ...ADMIN, ...JSON_TYPE, ...c.headers } });
    // A name that is no valid header text: the Location header percent-encodes it, and leads to the namespace.
    const odd = await fetch(`${api.url}${ns}`, { method: 'POST', headers: { ...ADMIN, ...JSON_TYPE }, body: JSON.stringify({ namespace: 'ns-\u00e9\u4e2d/x\ny' }) });
    assert.equal(odd.status, 201, await odd.text());
    assert.equal(odd.headers.get('location'), `${ns}/ns-%C3%A9%E4%B8%AD%2Fx%0Ay`);
    const shown = await send({ path: odd.headers.get('location')!, headers: ADMIN });
    assert.equal((JSON.parse(shown.text) as { namespace: string }).namespace, 'ns-\u00e9\u4e2d/x\ny', shown.text);
    await expectRefused(
      ([
        { method: 'POST', path: ns, body: '{', status: 400 },
        { method: 'POST', path: ns, body: 'null', status: 400 },
        { method: 'POST', path: ns, body: [], status: 400 },
        { method: 'POST', path: ns, body: {}, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 5 }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: '' }, status: 400 },
        { method: 'PUT', path: `${ns}/fuzz`, body: { namespace: '' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/objects`, body: { name: '' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/properties`, body: { name: '', title: 'P', type: 'string' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/resource_types`, body: { name: '' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/tags`, body: { tags: [{ name: '' }] }, status: 400 },
        { method: 'POST', path: ns, body: `{"namespace": "deep", "properties": {"p": {"title": "p", "type": "string", "default": ${'['.repeat(200_000)}${']'.repeat(200_000)}}}}`, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/properties`, body: `{"name": "deep", "title": "P", "type": "string", "default": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'n'.repeat(300) }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x1', visibility: 'everyone' }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x2', protected: 'yes' }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x3', properties: [] }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x4', properties: { p: 'string' } }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x5', properties: { p: { type: 'nonsense' } } }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x6', objects: {} }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x7', objects: [5] }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x8', objects: [{}] }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x9', tags: [{ name: 5 }] }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x10', tags: 'a' }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x11', resource_type_associations: [{ name: 5 }] }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x12', owner: 5 }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x14', resource_type_associations: [{ name: 'r', prefix: 5 }] }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x15', objects: [{ name: 'o', properties: { p: { type: 'string', title: 't', items: 5 } } }] }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x16', properties: { '': { type: 'string', title: 't' } } }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'x17', objects: [{ name: 'o' }, { name: 'o' }] }, status: 409 },
        { method: 'POST', path: ns, body: { namespace: 'x18', tags: [{ name: 'T' }, { name: 't' }] }, status: 409 },
        { method: 'POST', path: ns, body: { namespace: 'x19', owner: null }, status: 400 },
        { method: 'POST', path: ns, body: { namespace: 'fuzz' }, status: 409 },
        { method: 'POST', path: ns, body: { namespace: 'ns-\u4e2d\u6587' }, accepted: true },
        { method: 'POST', path: ns, body: { namespace: 'ns-line\nbreak' }, accepted: true },
        { method: 'POST', path: ns, body: { namespace: 'ns with space?#' }, accepted: true },
        { method: 'POST', path: ns, body: '{"namespace": "ns-\\ud800"}', accepted: true },
        { method: 'POST', path: ns, body: { namespace: 'x13', created_at: 'now' }, status: 403 },
        { method: 'PUT', path: `${ns}/fuzz`, body: { namespace: 5 }, status: 400 },
        { method: 'PUT', path: `${ns}/fuzz`, body: '[]', status: 400 },
        { method: 'PUT', path: `${ns}/nope`, body: { namespace: 'nope' }, status: 404 },
        { path: `${ns}?limit=-1`, status: 400 },
        { path: `${ns}?limit=x`, status: 400 },
        { path: `${ns}?sort_key=bogus`, status: 400 },
        { path: `${ns}?sort_dir=up`, status: 400 },
        { path: `${ns}?marker=nope`, status: 404 },
        { path: `${ns}?visibility=everyone`, status: 400 },
        { path: `${ns}?limit[]=1`, accepted: true },
        { path: `${ns}?marker[]=1`, accepted: true },
        { path: `${ns}?resource_types[]=x`, accepted: true },
        { path: `${ns}?resource_types=${'r,'.repeat(3000)}`, accepted: true },
        { path: `${ns}?limit=1&limit=2&sort_key=namespace&sort_key=bogus`, accepted: true },
        { path: `${ns}/fuzz?resource_type[]=x`, accepted: true },
        { path: `${ns}/${'n'.repeat(5000)}`, status: 404 },
        { path: `${ns}/%`, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/objects`, body: '{', status: 400 },
        { method: 'POST', path: `${ns}/fuzz/objects`, body: [], status: 400 },
        { method: 'POST', path: `${ns}/fuzz/objects`, body: {}, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/objects`, body: { name: 5 }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/objects`, body: { name: 'o', properties: [] }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/objects`, body: { name: 'o', properties: { p: 5 } }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/objects`, body: { name: 'o', required: 'p' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/objects`, body: { name: 'o', properties: { p: { type: 'string', enum: 'x' } } }, status: 400 },
        { method: 'PUT', path: `${ns}/fuzz/objects/none`, body: { name: 'none' }, status: 404 },
        { method: 'PUT', path: `${ns}/fuzz/objects/none`, body: { name: 5 }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/properties`, body: {}, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/properties`, body: { name: 'p' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/properties`, body: { name: 'p', title: 'P', type: 'bogus' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/properties`, body: { name: 5, title: 'P', type: 'string' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/properties`, body: { name: 'p', title: 'P', type: 'string', minLength: 'x' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/properties`, body: { name: 'p', title: 'P', type: 'array', items: 'x' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/properties`, body: { name: 'p', title: 'P', type: 'string', default: {} }, accepted: true },
        { method: 'POST', path: `${ns}/fuzz/properties`, body: 'null', status: 400 },
        { method: 'PUT', path: `${ns}/fuzz/properties/none`, body: { name: 'none', title: 'n', type: 'string' }, status: 404 },
        { method: 'POST', path: `${ns}/fuzz/tags`, body: {}, accepted: true },
        { method: 'POST', path: `${ns}/fuzz/tags`, body: { tags: 'a' }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/tags`, body: { tags: [5] }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/tags`, body: { tags: [{ name: 5 }] }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/tags`, body: { tags: [{ name: 'a' }, { name: 'a' }] }, status: 409 },
        { method: 'POST', path: `${ns}/fuzz/tags/${'t'.repeat(300)}`, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/tags`, body: { tags: [{ name: 't'.repeat(300) }] }, status: 400 },
        { method: 'PUT', path: `${ns}/fuzz/tags/none`, body: { name: 'x' }, status: 404 },
        { method: 'PUT', path: `${ns}/fuzz/tags/none`, body: { name: 5 }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/resource_types`, body: {}, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/resource_types`, body: { name: 5 }, status: 400 },
        { method: 'POST', path: `${ns}/fuzz/resource_types`, body: '[]', status: 400 },
        { method: 'POST', path: `${ns}/nope/objects`, body: { name: 'o' }, status: 404 },
        { method: 'DELETE', path: `${ns}/fuzz/resource_types/__proto__`, status: 404 },
        { method: 'DELETE', path: `${ns}/fuzz/objects/constructor`, status: 404 },
        { path: `${ns}/fuzz/properties/toString?resource_type=__proto__`, status: 404 },
        { path: `${ns}?resource_types=__proto__`, accepted: true },
        { path: '/v2/metadefs/resource_types?limit=abc', accepted: true },
      ] satisfies Case[]).map(admin),
    );
  });

  it('locations and the admin maintenance API: bad bodies and names', async () => {
    const loc = `/v2/images/${queued}/locations`;
    await expectRefused([
      { method: 'POST', path: loc, headers: JSON_TYPE, body: '{', status: 400 },
      { method: 'POST', path: loc, headers: JSON_TYPE, body: [], status: 400 },
      { method: 'POST', path: loc, headers: JSON_TYPE, body: {}, status: 400 },
      { method: 'POST', path: loc, headers: JSON_TYPE, body: { url: 5 }, status: 400 },
      { method: 'POST', path: loc, headers: JSON_TYPE, body: { url: 'ftp://x/y' }, status: 400 },
      { method: 'POST', path: loc, headers: JSON_TYPE, body: { url: `http://x/${'y'.repeat(300)}` }, status: 400 },
      { method: 'POST', path: loc, headers: JSON_TYPE, body: { url: 'http://example.com/x', extra: 1 }, status: 400 },
      { method: 'POST', path: loc, headers: JSON_TYPE, body: { url: 'http://example.com/x', validation_data: [] }, status: 400 },
      { method: 'POST', path: loc, headers: JSON_TYPE, body: { url: 'http://example.com/x', validation_data: { os_hash_algo: 'constructor', os_hash_value: 'ab' } }, status: 400 },
      ...['constructor', '__proto__', 'toString', 'nope'].flatMap((sweep): Case[] => [
        { method: 'POST', path: `/v2/admin/maintenance/${sweep}`, headers: ADMIN, status: 404, message: /No maintenance sweep named/ },
        { path: `/v2/admin/maintenance/runs?sweep=${sweep}`, headers: ADMIN, status: 400, message: /Unknown sweep/ },
      ]),
      { path: '/v2/admin/maintenance/runs?limit=abc', headers: ADMIN, status: 400 },
      { path: '/v2/admin/maintenance/runs?limit=0', headers: ADMIN, status: 400 },
      { path: '/v2/admin/maintenance/runs/nope', headers: ADMIN, status: 404 },
    ]);
  });

  it('role names that are Object.prototype members are roles like any other', async () => {
    await expectRefused(
      ['constructor', '__proto__', 'toString', 'member,constructor', 'valueof,reader'].flatMap((roles): Case[] => [
        { path: '/v2/images?limit=1', headers: { 'x-roles': roles }, status: roles.includes('member') || roles.includes('reader') ? 200 : 403 },
        { path: '/v2/images/00000000-0000-0000-0000-000000000000', headers: { 'x-roles': roles }, status: 404 },
      ]),
    );
  });

  it('a request that is not HTTP gets 400 in Glance\'s plain-text shape', async () => {
    const socket = connect(Number(new URL(api.url).port), '127.0.0.1');
    socket.end('NOT HTTP AT ALL\r\n\r\n');
    let raw = '';
    for await (const chunk of socket) raw += String(chunk);
    assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n[^]*\r\n\r\n400 Bad Request\n\nThe request is not valid HTTP\.\n\n {3}$/);
  });

  it('CONNECT is answered (this is no proxy): 405 with Allow on a served path, 404 on another, 400 for host:port', async () => {
    const raw = async (request: string) => {
      const socket = connect(Number(new URL(api.url).port), '127.0.0.1');
      socket.write(request);
      let text = '';
      for await (const chunk of socket) text += String(chunk);
      return text;
    };
    const images = await raw('CONNECT /v2/images HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n');
    assert.match(images, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    assert.match(images, /\r\nAllow: GET, POST\r\n/);
    assert.match(images, /\r\nConnection: close\r\n/);
    assert.equal(JSON.parse(images.split('\r\n\r\n')[1]!).code, '405 Method Not Allowed');
    assert.match(await raw('CONNECT /nowhere HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 404 Not Found\r\n[^]*\r\n\r\n404 Not Found\n\nThe resource could not be found\./);
    assert.match(await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request\r\n[^]*not a proxy/);
    // The server goes on answering.
    assert.equal((await fetch(`${api.url}/versions`)).status, 200);
  });

  it('very long and odd header values', async () => {
    await expectRefused([
      { path: '/v2/images/none', headers: { 'x-project-id': 'p'.repeat(8000) }, status: 404 },
      { path: '/v2/images/none', headers: { 'x-roles': 'r,'.repeat(4000) }, status: 404 },
      { path: '/v2/images/none', headers: { 'x-roles': '' }, status: 404 },
      { path: '/v2/images/none', headers: { 'x-project-id': '' }, status: 404 },
      { path: '/v2/images?limit=1', headers: { 'x-roles': ',,,' }, status: 403 },
      { path: '/v2/images/none', headers: { 'x-auth-token': 't'.repeat(8000) }, status: 404 },
      { path: `/v2/images?name=${'n'.repeat(12000)}`, accepted: true },
      { path: `/v2/images/${'x'.repeat(12000)}`, status: 404 },
      // Past Node's 16 KiB limit for the request line and headers: Node's 431, in Glance's shape.
      { path: `/v2/images/${'x'.repeat(20000)}`, status: 431 },
      { path: '/v2/images/none', headers: { 'x-roles': 'r'.repeat(20000) }, status: 431 },
      { path: '/v2/images/none', headers: { accept: 'application/json', 'x-openstack-request-id': 'r'.repeat(8000) }, status: 404 },
    ]);
  });
});


describe('an answer given before the request body was read', () => {
  let api: RunningApi;
  before(async () => (api = await startApi(testConfig())));
  after(() => api.close());

  /** Sends the headers and the first KiB of a declared 8 MiB body, and resolves with the answer's status and Connection header. */
  const partial = (path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = request(`${api.url}${path}`, { method: 'PUT', headers: { ...OWNER, ...headers, 'content-length': String(8 << 20) }, timeout: 10_000 }, (res) => {
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
        res.resume();
        req.destroy();
      });
      req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
      req.write(Buffer.alloc(1024));
    });

  it('says Connection: close, so a keep-alive client does not reuse the socket (404, 415)', async () => {
    const created = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: { ...OWNER, ...JSON_TYPE }, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
    const { id } = (await created.json()) as { id: string };
    assert.deepEqual(await partial('/v2/images/9c4f4e9a-6b0c-4d3e-8a51-000000000000/file', OCTETS), { status: 404, connection: 'close' });
    assert.deepEqual(await partial(`/v2/images/${id}/file`, JSON_TYPE), { status: 415, connection: 'close' });
    const whole = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: { ...OWNER, ...JSON_TYPE }, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
    assert.equal(whole.headers.get('connection'), 'keep-alive', 'a request read to its end keeps the connection');
  });
});

/**
 * A large body on a connection of its own: a refusal before the body is read closes the connection, and a
 * pooled client may meanwhile have queued its next request on that socket (ECONNRESET, a client-side race).
 */
function sendAlone(url: string, method: string, headers: Record<string, string>, body: Uint8Array): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'content-length': String(body.length) }, agent: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject);
    // The server may answer and close before taking the whole body: the answer is what counts.
    req.end(body);
  });
}

/** What is wrong with an answer to a malformed request, or undefined when it is a proper refusal. */
function shapeProblem(status: number, text: string, c: Case): string | undefined {
  if ((c.accepted || status === c.status) && status < 400) return undefined;
  if (c.status !== undefined ? status !== c.status : status < 400 || status >= 500) return `expected ${c.status ?? '4xx'}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'not a JSON error body';
  }
  const { message, code, title } = (body ?? {}) as Record<string, unknown>;
  if (typeof message !== 'string' || typeof title !== 'string' || code !== `${status} ${title}`) return 'not Glance error shape';
  if (c.message && !c.message.test(message)) return `message does not match ${c.message}`;
  return undefined;
}
