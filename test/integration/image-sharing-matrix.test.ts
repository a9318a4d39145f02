import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { testConfig } from '../support/test-config.js';

const as = (project: string, roles: string) => ({ 'content-type': 'application/json', accept: 'application/json', 'x-project-id': project, 'x-roles': roles });
const CALLERS = {
  owner: as('proj-a', 'member'),
  ownerReader: as('proj-a', 'reader'),
  other: as('proj-b', 'member'),
  accepted: as('proj-c', 'member'),
  pending: as('proj-d', 'member'),
  admin: as('proj-admin', 'admin'),
};
type Caller = keyof typeof CALLERS;
const VISIBILITIES = ['public', 'community', 'shared', 'private'] as const;
type Vis = (typeof VISIBILITIES)[number];

/** Expected status per caller for each visibility, per operation (images owned by proj-a). */
const SEES: Record<Vis, Caller[]> = {
  public: ['owner', 'ownerReader', 'other', 'accepted', 'pending', 'admin'],
  community: ['owner', 'ownerReader', 'other', 'accepted', 'pending', 'admin'],
  shared: ['owner', 'ownerReader', 'accepted', 'pending', 'admin'],
  private: ['owner', 'ownerReader', 'admin'],
};
/** In the default listing (no filters). */
const LISTS: Record<Vis, Caller[]> = {
  public: ['owner', 'ownerReader', 'other', 'accepted', 'pending', 'admin'],
  community: ['owner', 'ownerReader'],
  shared: ['owner', 'ownerReader', 'accepted', 'admin'],
  private: ['owner', 'ownerReader', 'admin'],
};
const WRITERS: Caller[] = ['owner', 'admin'];
/** 404 for what the caller cannot see, 403 for what it sees but may not change, else the success code. */
const expectWrite = (vis: Vis, caller: Caller, ok: number) => (!SEES[vis].includes(caller) ? 404 : WRITERS.includes(caller) ? ok : 403);

describe('cross-project matrix: who sees and may change what', () => {
  let api: RunningApi;
  const ids = {} as Record<Vis, string>;
  const call = (method: string, path: string, caller: Caller, body?: unknown) =>
    fetch(`${api.url}${path}`, { method, headers: CALLERS[caller], body: body === undefined ? undefined : JSON.stringify(body) });

  before(async () => {
    api = await startApi(testConfig());
    for (const vis of VISIBILITIES) {
      // public needs an admin to create; the image is still owned by proj-a.
      const creator: Caller = vis === 'public' ? 'admin' : 'owner';
      const res = await call('POST', '/v2/images', creator, { name: `m-${vis}`, visibility: vis, owner: 'proj-a', disk_format: 'raw', container_format: 'bare' });
      assert.equal(res.status, 201, await res.clone().text());
      ids[vis] = ((await res.json()) as { id: string }).id;
    }
    for (const member of ['proj-c', 'proj-d']) assert.equal((await call('POST', `/v2/images/${ids.shared}/members`, 'owner', { member })).status, 200);
    assert.equal((await call('PUT', `/v2/images/${ids.shared}/members/proj-c`, 'accepted', { status: 'accepted' })).status, 200);
  });
  after(() => api.close());

  for (const caller of Object.keys(CALLERS) as Caller[]) {
    it(`${caller}: show, download, list, PATCH, tag, delete and members on every visibility`, async () => {
      const listed = ((await (await call('GET', '/v2/images', caller)).json()) as { images: { id: string }[] }).images.map((i) => i.id);
      for (const vis of VISIBILITIES) {
        const id = ids[vis];
        const where = `${caller} on ${vis}`;
        const sees = SEES[vis].includes(caller);
        assert.equal((await call('GET', `/v2/images/${id}`, caller)).status, sees ? 200 : 404, `show: ${where}`);
        // Secure RBAC: downloading needs the member role; a reader sees the image but may not fetch its data.
        const download = !sees ? 404 : caller === 'ownerReader' ? 403 : 204;
        assert.equal((await call('GET', `/v2/images/${id}/file`, caller)).status, download, `download (no data yet): ${where}`);
        assert.equal(listed.includes(id), LISTS[vis].includes(caller), `listed: ${where}`);
        const patch = await fetch(`${api.url}/v2/images/${id}`, {
          method: 'PATCH',
          headers: { ...CALLERS[caller], 'content-type': 'application/openstack-images-v2.1-json-patch' },
          body: JSON.stringify([{ op: 'replace', path: '/min_ram', value: 1 }]),
        });
        assert.equal(patch.status, expectWrite(vis, caller, 200), `PATCH: ${where}`);
        assert.equal((await call('PUT', `/v2/images/${id}/tags/t-${caller}`, caller)).status, expectWrite(vis, caller, 204), `tag: ${where}`);
        if (!WRITERS.includes(caller)) {
          assert.equal((await call('DELETE', `/v2/images/${id}`, caller)).status, sees ? 403 : 404, `delete: ${where}`);
        }
        const addMember = await call('POST', `/v2/images/${id}/members`, caller, { member: `x-${caller}` });
        const memberOk = vis === 'shared' ? 200 : 403;
        assert.equal(addMember.status, !sees ? 404 : WRITERS.includes(caller) ? memberOk : 403, `add member: ${where}`);
      }
      // A member sees its own membership only; the owner sees all of them.
      const members = await call('GET', `/v2/images/${ids.shared}/members`, caller);
      if (!SEES.shared.includes(caller)) assert.equal(members.status, 404);
      else {
        const list = ((await members.json()) as { members: { member_id: string }[] }).members.map((m) => m.member_id);
        if (WRITERS.includes(caller) || caller === 'ownerReader') assert.ok(list.includes('proj-c') && list.includes('proj-d'), caller);
        else assert.deepEqual(list, [CALLERS[caller]['x-project-id']]);
      }
    });
  }

  it('a shared image made private is hidden from its members: not shown, not listed (v2 and v1), whatever their status', async () => {
    const created = await call('POST', '/v2/images', 'owner', { name: 'm-was-shared', visibility: 'shared', disk_format: 'raw', container_format: 'bare' });
    const id = ((await created.json()) as { id: string }).id;
    assert.equal((await call('POST', `/v2/images/${id}/members`, 'owner', { member: 'proj-c' })).status, 200);
    assert.equal((await call('PUT', `/v2/images/${id}/members/proj-c`, 'accepted', { status: 'accepted' })).status, 200);
    const listed = async () => ((await (await call('GET', '/v2/images', 'accepted')).json()) as { images: { id: string }[] }).images.map((i) => i.id);
    const listedV1 = async () => ((await (await call('GET', '/v1/images', 'accepted')).json()) as { images: { id: string }[] }).images.map((i) => i.id);
    assert.ok((await listed()).includes(id), 'listed to the accepted member while shared');
    assert.ok((await listedV1()).includes(id), 'listed by v1 to the accepted member while shared');
    const patch = await fetch(`${api.url}/v2/images/${id}`, {
      method: 'PATCH',
      headers: { ...CALLERS.owner, 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify([{ op: 'replace', path: '/visibility', value: 'private' }]),
    });
    assert.equal(patch.status, 200, await patch.text());
    assert.equal((await call('GET', `/v2/images/${id}`, 'accepted')).status, 404, 'show');
    assert.ok(!(await listed()).includes(id), 'the default listing');
    for (const q of ['visibility=all', 'member_status=all', 'member_status=accepted&visibility=all']) {
      const ids = ((await (await call('GET', `/v2/images?${q}`, 'accepted')).json()) as { images: { id: string }[] }).images.map((i) => i.id);
      assert.ok(!ids.includes(id), `listing ?${q}`);
    }
    assert.ok(!(await listedV1()).includes(id), 'the v1 listing');
  });

  it('only the member changes its status; the owner removes members; others cannot', async () => {
    const status = (caller: Caller, member: string, value: string) => call('PUT', `/v2/images/${ids.shared}/members/${member}`, caller, { status: value });
    assert.equal((await status('owner', 'proj-d', 'accepted')).status, 403);
    assert.equal((await status('accepted', 'proj-d', 'accepted')).status, 404, 'another member\'s entry is not visible');
    assert.equal((await status('pending', 'proj-d', 'rejected')).status, 200);
    assert.equal((await status('pending', 'proj-d', 'bogus')).status, 400);
    assert.equal((await call('DELETE', `/v2/images/${ids.shared}/members/proj-d`, 'pending')).status, 403);
    assert.equal((await call('DELETE', `/v2/images/${ids.shared}/members/proj-d`, 'owner')).status, 204);
    assert.equal((await call('GET', `/v2/images/${ids.shared}`, 'pending')).status, 404, 'a removed member no longer sees the image');
  });
});
