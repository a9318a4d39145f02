import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { ResolvedConfig } from '@glimpse/config';
import { redisOptions } from '@glimpse/queue';
import { type RunningApi, startApi } from '../support/api-app.js';
import { type Browser, browserSkipReason, openBrowser } from '../support/browser.js';
import { issueToken, KeystoneAdmin, keystoneAuthEnv, keystoneSkipReason } from '../support/keystone.js';
import { testConfig } from '../support/test-config.js';

const skip = browserSkipReason() ?? (await keystoneSkipReason()) ?? false;
if (skip) console.log(`# console-session-revoked skipped: ${skip}`);

describe('console sessions end when Keystone no longer accepts their token (real Keystone, headless Chromium)', { skip }, () => {
  let api: RunningApi;
  let browser: Browser;
  let keystone: KeystoneAdmin;
  let admin: Awaited<ReturnType<KeystoneAdmin['projectUser']>>;
  let config: ResolvedConfig;

  before(async () => {
    keystone = await KeystoneAdmin.connect();
    admin = await keystone.projectUser('admin');
    config = testConfig({
      ...keystoneAuthEnv(),
      // A session's token is checked again after 2 s (30 by default), so the tests need not wait long.
      GLIMPSE_CONSOLE_RECHECK_SECONDS: '2',
    });
    api = await startApi(config);
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    if (admin) await keystone.remove(admin);
  });

  /** Every console session record of this suite's API, as Redis holds it. */
  async function storedSessions(): Promise<string[]> {
    const redis = new Redis(redisOptions(config.redis.url, 'queue'));
    try {
      const keys = await redis.keys(`${config.queue.prefix}:console-session:*`);
      return keys.length ? ((await redis.mget(...keys)).filter(Boolean) as string[]) : [];
    } finally {
      redis.disconnect();
    }
  }

  it('a revoked token ends its session: the open live-work page turns into "session ended" by itself', async () => {
    const { page, context } = browser;
    const token = await issueToken(admin, admin.projectId);
    await context.clearCookies();
    await page.goto(`${api.url}/console/sign-in`);
    await page.getByLabel('Keystone token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const stored = await storedSessions();
    assert.ok(stored.length >= 1);
    assert.ok(stored.every((record) => !record.includes(token)), 'Redis holds the token only sealed');
    await page.goto(`${api.url}/console/work`);
    await page.getByRole('heading', { name: 'Running imports and copies' }).waitFor();
    // The API trusts the token too (and caches that for GLIMPSE_KEYSTONE_CACHE_SECONDS, 60 s by default).
    assert.equal((await fetch(`${api.url}/v2/images`, { headers: { 'x-auth-token': token } })).status, 200);

    await keystone.revoke(token);
    // The page polls every second; within the re-check bound a poll is refused and the page says the session ended.
    await page.getByRole('heading', { name: 'Your session has ended' }).waitFor();
    assert.match(page.url(), /\/console\/session-ended$/);
    await browser.shot('keystone-session-ended');
    assert.ok(!(await context.cookies()).some((c) => c.name === 'glimpse_console'), 'the session cookie is cleared');
    await page.goto(`${api.url}/console/work`);
    assert.match(page.url(), /\/console\/sign-in$/, 'the console does not open again: the browser is sent to sign in');
    await page.getByLabel('Keystone token').waitFor();
    // The check that found it revoked also dropped the API's cached validation: the API refuses the token now.
    assert.equal((await fetch(`${api.url}/v2/images`, { headers: { 'x-auth-token': token } })).status, 401);
  });

  it("a session signed in with a password ends when Keystone revokes the user's tokens (the user is disabled)", async () => {
    const { page, context } = browser;
    const user = await keystone.projectUser('admin');
    try {
      await context.clearCookies();
      await page.goto(`${api.url}/console/sign-in`);
      await page.getByLabel('User name').fill(user.name);
      await page.getByLabel('Password', { exact: true }).fill(user.password);
      await page.getByLabel('Project name').fill(user.name); // projectUser names the project after the user
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      assert.ok((await storedSessions()).every((record) => !record.includes(user.password)));
      await keystone.send('PATCH', `/v3/users/${user.userId}`, { user: { enabled: false } });
      // Within the re-check bound the next page load finds the token no longer valid.
      let res = await page.goto(`${api.url}/console/images`);
      for (let tries = 0; res!.status() === 200 && tries < 240; tries++) {
        await new Promise((r) => setTimeout(r, 500));
        res = await page.goto(`${api.url}/console/images`);
      }
      assert.equal(res!.status(), 401);
      await page.getByRole('heading', { name: 'Your session has ended' }).waitFor();
      assert.match(await page.getByRole('alert').innerText(), /no longer valid/);
      await page.getByRole('link', { name: 'Sign in' }).click();
      await page.getByLabel('User name').waitFor();
    } finally {
      await keystone.remove(user);
    }
  });
});
