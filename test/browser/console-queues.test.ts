import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueueName } from '@glimpse/contracts';
import { JobProducer } from '@glimpse/queue';
import { browserSkipReason, consoleSuite } from '../support/browser.js';
import { testConfig } from '../support/test-config.js';

const skip = browserSkipReason() ?? false;

describe('console: Bull Board actions carry the CSRF token, and are refused without it (headless Chromium, noauth)', { skip }, () => {
  const suite = consoleSuite(() => testConfig({}), before, after);
  const queue = () => suite.api.app.get(JobProducer).queueByName(QueueName.System);

  it('pausing a queue from the board works (its UI sends X-XSRF-TOKEN back)', async () => {
    const { page } = suite.browser;
    const { api } = suite;
    await page.goto(`${api.url}/console`);
    await page.goto(`${api.url}/console/queues/queue/system`);
    await page.getByText('No latest jobs in this queue.').waitFor(); // the board has loaded the queue
    const paused = page.waitForResponse((r) => r.url().endsWith('/console/queues/api/queues/system/pause'));
    await page.getByRole('button').last().click(); // the queue's menu
    await page.getByRole('menuitem', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    const res = await paused;
    assert.equal(res.status(), 200);
    assert.ok(res.request().headers()['x-xsrf-token']);
    assert.equal(await queue().isPaused(), true);
    await suite.browser.shot('queues-paused');
  });

  it('the same kind of call without the token is refused and changes nothing', async () => {
    const { page } = suite.browser;
    const resume = (withToken: boolean) =>
      page.evaluate(async (send) => {
        const token = /(?:^|; )XSRF-TOKEN=([^;]+)/.exec((globalThis as unknown as { document: { cookie: string } }).document.cookie)?.[1];
        const res = await fetch('/console/queues/api/queues/system/resume', { method: 'PUT', headers: send && token ? { 'x-xsrf-token': decodeURIComponent(token) } : {} });
        return res.status;
      }, withToken);
    assert.equal(await resume(false), 403);
    assert.equal(await queue().isPaused(), true, 'still paused');
    assert.equal(await resume(true), 200);
    assert.equal(await queue().isPaused(), false);
  });
});
