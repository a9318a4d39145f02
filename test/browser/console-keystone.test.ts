import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { LOG_REDACT_PATHS } from '@glimpse/common';
import { type RunningApi, startApi } from '../support/api-app.js';
import { type Browser, browserSkipReason, openBrowser } from '../support/browser.js';
import { KeystoneAdmin, keystoneAuthEnv, keystoneSkipReason } from '../support/keystone.js';
import { testConfig } from '../support/test-config.js';

const skip = browserSkipReason() ?? (await keystoneSkipReason()) ?? false;
if (skip) console.log(`# console-keystone skipped: ${skip}`);

describe('console sign-in against a real Keystone (headless Chromium)', { skip }, () => {
  let api: RunningApi;
  let browser: Browser;
  let keystone: KeystoneAdmin;
  let admin: Awaited<ReturnType<KeystoneAdmin['projectUser']>>;
  let member: Awaited<ReturnType<KeystoneAdmin['projectUser']>>;
  const logs: string[] = [];

  before(async () => {
    keystone = await KeystoneAdmin.connect();
    admin = await keystone.projectUser('admin');
    member = await keystone.projectUser('member');
    const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) });
    api = await startApi(
      testConfig(keystoneAuthEnv()),
      pino({ level: 'info', redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' } }, sink),
    );
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    if (admin) await keystone.remove(admin);
    if (member) await keystone.remove(member);
  });

  async function withCredentials(user: { name: string; password: string }, password = user.password) {
    const { page, context } = browser;
    await context.clearCookies();
    await page.goto(`${api.url}/console`);
    await page.getByLabel('User name').fill(user.name);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Project name').fill(user.name); // projectUser names the project after the user
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
  }

  it('an admin signs in with user name, password and project, and the session acts as that user', async () => {
    await withCredentials(admin);
    await browser.page.getByRole('heading', { name: 'Overview' }).waitFor();
    // Keystone lists implied roles too (admin implies member implies reader), in no fixed order.
    const who = (await browser.page.locator('header .who').innerText()).split('\n')[0]!;
    const [userId, project, roles] = who.split(' · ');
    assert.deepEqual([userId, project], [admin.userId, `project ${admin.projectId}`]);
    assert.ok(roles!.split(', ').includes('admin'), `the session's roles name admin: ${who}`);
    await browser.shot('keystone-signed-in');
  });

  it('a wrong password is not accepted; a member is not allowed', async () => {
    await withCredentials(admin, 'not-the-password');
    await browser.page.getByRole('alert').filter({ hasText: 'not accepted' }).waitFor();
    await withCredentials(member);
    await browser.page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    assert.ok(!(await browser.context.cookies()).some((c) => c.name === 'glimpse_console'));
  });

  it('a Keystone token signs in too, and neither it nor a password reaches a log line', async () => {
    const { page, context } = browser;
    await context.clearCookies();
    await page.goto(`${api.url}/console/sign-in`);
    await page.getByLabel('Keystone token').fill(keystone.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.ok(logs.length > 3);
    for (const secret of [keystone.adminToken, admin.password, member.password]) assert.ok(!logs.some((l) => l.includes(secret)));
  });
});
