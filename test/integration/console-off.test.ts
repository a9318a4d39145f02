import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { testConfig } from '../support/test-config.js';

describe('GLIMPSE_CONSOLE=false: the API without the operator console', () => {
  let api: RunningApi;
  before(async () => {
    api = await startApi(testConfig({ GLIMPSE_CONSOLE: 'false' }));
  });
  after(async () => api?.close());

  it('has no /console, no queue board and no console assets, and serves the API as before', async () => {
    for (const path of ['/console', '/console/sign-in', '/console/queues/', '/console/assets/console.js', '/console/api/work']) {
      const res = await fetch(`${api.url}${path}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 404, path);
      assert.match(String(((await res.json()) as { code: unknown }).code), /^404/, "Glance's error shape");
    }
    const post = await fetch(`${api.url}/console/maintenance/run`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: 'sweep=auditor' });
    assert.equal(post.status, 404);
    const headers = { 'x-project-id': 'p1', 'x-roles': 'member', 'content-type': 'application/json' };
    const created = await fetch(`${api.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ name: 'still-here' }) });
    assert.equal(created.status, 201);
    const list = (await (await fetch(`${api.url}/v2/images`, { headers })).json()) as { images: { name: string }[] };
    assert.deepEqual(list.images.map((i) => i.name), ['still-here']);
  });
});
