import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { freePort } from '../support/free-port.js';
import { issueToken, KeystoneAdmin, keystoneAuthEnv, keystoneSkipReason, keystoneUrl } from '../support/keystone.js';
import { testConfig } from '../support/test-config.js';

const skip = await keystoneSkipReason();
/** Any authenticated route will do. */
const probe = '/v2/info/import';
if (skip) console.log(`# keystone-auth skipped: ${skip}`);

/** GLIMPSE_AUTH=keystone against a real Keystone, with the admin user as the service's own credentials. */
const keystoneEnv = (cacheSeconds: string, url = keystoneUrl) => ({
  ...keystoneAuthEnv(url),
  GLIMPSE_KEYSTONE_CACHE_SECONDS: cacheSeconds,
});

describe('keystone authentication', { skip: skip ?? false }, () => {
  let api: RunningApi;
  let shortCache: RunningApi;
  let keystone: KeystoneAdmin;
  let member: Awaited<ReturnType<KeystoneAdmin['projectUser']>>;
  const json = { accept: 'application/json', 'content-type': 'application/json' };

  before(async () => {
    keystone = await KeystoneAdmin.connect();
    member = await keystone.projectUser('member');
    // An hour: the test's steps may take minutes on a busy machine, and this cache must not lapse in between.
    api = await startApi(testConfig(keystoneEnv('3600')));
    shortCache = await startApi(testConfig(keystoneEnv('1')));
  });
  after(async () => {
    await api?.close();
    await shortCache?.close();
    if (member) await keystone.remove(member);
  });

  it('a valid token acts as its project and user, with its roles', async () => {
    const token = await issueToken(member, member.projectId);
    const created = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: { ...json, 'x-auth-token': token }, body: '{"name":"k"}' });
    assert.equal(created.status, 201);
    const image = (await created.json()) as { id: string; owner: string };
    assert.equal(image.owner, member.projectId);
    assert.equal((await fetch(`${api.url}/v2/images/${image.id}`, { headers: { ...json, 'x-auth-token': token } })).status, 200);
    // member is not admin; the admin token (role admin) is
    assert.equal((await fetch(`${api.url}/v2/tasks`, { headers: { ...json, 'x-auth-token': token } })).status, 403);
    assert.equal((await fetch(`${api.url}/v2/tasks`, { headers: { ...json, 'x-auth-token': keystone.adminToken } })).status, 200);
  });

  it('no token or a garbage token is a 401 in Glance shape naming Keystone', async () => {
    for (const headers of [json, { ...json, 'x-auth-token': 'gAAAAA-not-a-token' }]) {
      const res = await fetch(`${api.url}${probe}`, { headers });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), `Keystone uri='${keystoneUrl}'`);
      const body = (await res.json()) as { code: string; title: string };
      assert.equal(body.code, '401 Unauthorized');
    }
  });

  it('a revoked token is refused once the cache bound has passed, and honoured from the cache before', async () => {
    const token = await issueToken(member, member.projectId);
    const headers = { ...json, 'x-auth-token': token };
    assert.equal((await fetch(`${api.url}${probe}`, { headers })).status, 200);
    assert.equal((await fetch(`${shortCache.url}${probe}`, { headers })).status, 200);
    await keystone.revoke(token);
    // a long cache still trusts it: the cache is really used, so its bound is what refuses revoked tokens
    assert.equal((await fetch(`${api.url}${probe}`, { headers })).status, 200);
    await sleep(1500);
    const refused = await fetch(`${shortCache.url}${probe}`, { headers });
    assert.equal(refused.status, 401);
    // a fresh app (no cache) asks Keystone, which says the token is revoked
    const fresh = await startApi(testConfig(keystoneEnv('0')));
    try {
      assert.equal((await fetch(`${fresh.url}${probe}`, { headers })).status, 401);
    } finally {
      await fresh.close();
    }
  });

  it('Keystone unreachable is a 503, never a pass', async () => {
    const down = await startApi(testConfig(keystoneEnv('60', `http://127.0.0.1:${await freePort()}`)));
    try {
      const token = await issueToken(member, member.projectId);
      const res = await fetch(`${down.url}${probe}`, { headers: { ...json, 'x-auth-token': token } });
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { message: string }).message, /Keystone/);
    } finally {
      await down.close();
    }
  });
});
