import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { LOG_REDACT_PATHS } from '@glimpse/common';
import { redisOptions } from '@glimpse/queue';
import { type RunningApi, startApi } from '../support/api-app.js';
import { type Browser, browserSkipReason, consoleSuite, openBrowser } from '../support/browser.js';
import { testConfig } from '../support/test-config.js';
import { testTempDir } from '../support/temp-dir.js';

const skip = browserSkipReason() ?? false;

const TOKENS = {
  admin: 'console-admin-token-0123456789',
  reader: 'console-reader-token-0123456789',
  otherMember: 'console-member-token-0123456789',
};

function tokensFile(): string {
  const path = join(testTempDir('glimpse-tokens-'), 'tokens.json');
  writeFileSync(path, JSON.stringify({
    [TOKENS.admin]: { project: 'ops', user: 'alice', roles: ['admin'] },
    [TOKENS.reader]: { project: 'ops', user: 'rita', roles: ['reader'] },
    [TOKENS.otherMember]: { project: 'elsewhere', user: 'mo', roles: ['member'] },
  }));
  return path;
}

/** The API's log lines, as JSON text, through the same redaction the service's logger applies. */
function capturedLogger(lines: string[]) {
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  return pino({ level: 'info', redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' } }, sink);
}

describe('console sign-in (tokens mode, headless Chromium)', { skip }, () => {
  let api: RunningApi;
  let browser: Browser;
  const logs: string[] = [];
  const config = testConfig({ GLIMPSE_AUTH: 'tokens', GLIMPSE_TOKENS_FILE: tokensFile() });

  before(async () => {
    api = await startApi(config, capturedLogger(logs));
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await api?.close();
  });

  async function signIn(token: string) {
    const { page } = browser;
    await page.goto(`${api.url}/console`);
    assert.match(page.url(), /\/console\/sign-in$/, 'an unknown browser is sent to the sign-in form');
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
  }

  it('a reader, and a member of another project, are refused the console', async () => {
    for (const token of [TOKENS.reader, TOKENS.otherMember]) {
      await browser.context.clearCookies();
      await signIn(token);
      await browser.page.getByRole('heading', { name: 'Not allowed' }).waitFor();
      const cookies = await browser.context.cookies();
      assert.ok(!cookies.some((c) => c.name === 'glimpse_console'), 'no session for a refused identity');
      const res = await browser.page.request.get(`${api.url}/console`, { maxRedirects: 0 });
      assert.equal(res.status(), 303, 'still sent to sign in');
    }
    await browser.shot('refused');
  });

  it('a wrong token is not accepted and says so', async () => {
    await browser.context.clearCookies();
    await signIn('not-a-token-at-all');
    await browser.page.getByRole('alert').filter({ hasText: 'not accepted' }).waitFor();
  });

  it('an admin signs in with a token kept out of the URL, the cookies and the logs', async () => {
    await browser.context.clearCookies();
    await signIn(TOKENS.admin);
    const { page } = browser;
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.match(await page.locator('header .who').innerText(), /alice · project ops · admin/);
    assert.equal(new URL(page.url()).pathname, '/console');
    assert.ok(!page.url().includes(TOKENS.admin));
    const cookies = await browser.context.cookies();
    const session = cookies.find((c) => c.name === 'glimpse_console');
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/console');
    assert.ok(session.expires > Date.now() / 1000 && session.expires <= Date.now() / 1000 + 30 * 60 + 5, 'short-lived: GLIMPSE_CONSOLE_SESSION_MINUTES (30)');
    assert.ok(cookies.every((c) => !c.value.includes(TOKENS.admin)), 'the token is in no cookie');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie.includes('glimpse_console=')), false, 'scripts cannot read the session id');
    await browser.shot('overview');
    const csrf = cookies.find((c) => c.name === 'XSRF-TOKEN')!.value;
    assert.ok(logs.length > 3, 'the API logged the requests');
    assert.ok(logs.some((l) => l.includes('"cookie":"[redacted]"')), 'request cookies are logged redacted');
    for (const secret of [TOKENS.admin, session.value, csrf]) assert.ok(!logs.some((l) => l.includes(secret)), 'no credential in a log line');
  });

  it('Bull Board shows every queue under the same sign-in', async () => {
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Queues' }).click();
    for (const queue of ['system', 'maintenance', 'image-import', 'image-checksum', 'image-verify-format']) {
      await page.getByText(queue, { exact: true }).first().waitFor();
    }
    await browser.shot('queues');
    const anonymous = await fetch(`${api.url}/console/queues/api/queues`, { headers: { accept: 'application/json' } });
    assert.equal(anonymous.status, 401, "the board's API wants the session too");
    await page.goto(`${api.url}/console`);
  });

  it('a state-changing call without the CSRF token is refused and the session survives it', async () => {
    const { page } = browser;
    const status = (csrf: string | null) =>
      page.evaluate(async (token) => {
        const res = await fetch('/console/sign-out', { method: 'POST', headers: token ? { 'x-csrf-token': token, accept: 'application/json' } : { accept: 'application/json' } });
        return res.status;
      }, csrf);
    assert.equal(await status(null), 403, 'no token');
    assert.equal(await status('forged-token-forged-token-forged-token'), 403, 'a wrong token');
    // A plain cross-site form post would carry no token either; the session survives both attempts.
    await page.goto(`${api.url}/console`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it('signing out ends the session: the old cookie gets a clear page, not the console', async () => {
    const { page, context } = browser;
    const old = (await context.cookies()).find((c) => c.name === 'glimpse_console')!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();
    await context.addCookies([{ ...old }]);
    const res = await page.goto(`${api.url}/console`);
    assert.equal(res!.status(), 401);
    await page.getByRole('heading', { name: 'Your session has ended' }).waitFor();
    await browser.shot('session-ended');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Token').waitFor();
  });

  it('a session that expires while a page is open shows the session-ended page', async () => {
    await browser.context.clearCookies();
    await signIn(TOKENS.admin);
    await browser.page.getByRole('heading', { name: 'Overview' }).waitFor();
    // Expiry is Redis dropping the record: drop every session of this test's prefix, as the TTL would.
    const redis = new Redis(redisOptions(config.redis.url, 'queue'));
    const keys = await redis.keys(`${config.queue.prefix}:console-session:*`);
    assert.ok(keys.length >= 1);
    await redis.del(...keys);
    redis.disconnect();
    await browser.page.reload();
    await browser.page.getByRole('heading', { name: 'Your session has ended' }).waitFor();
  });
});

describe('console in noauth mode on loopback: no sign-in', { skip }, () => {
  const suite = consoleSuite(() => testConfig({}), before, after);

  it('opens the console at once, and still wants the CSRF token to change anything', async () => {
    const { page } = suite.browser;
    const res = await page.goto(`${suite.api.url}/console`);
    assert.equal(res!.status(), 200);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const refused = await page.evaluate(async () => (await fetch('/console/sign-out', { method: 'POST' })).status);
    assert.equal(refused, 403);
    await page.getByRole('button', { name: 'Sign out' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();
  });

  it('refuses a request whose identity headers are not an admin', async () => {
    const res = await fetch(`${suite.api.url}/console`, { headers: { 'x-project-id': 'p1', 'x-roles': 'member', accept: 'text/html' } });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /for administrators/);
  });
});
