import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { MaintenanceRunRepository } from '@glimpse/persistence';
import { type Browser, browserSkipReason, openBrowser } from '../support/browser.js';
import { imageRecordWithFile } from '../support/image-records.js';
import { type MaintenanceStack, startMaintenanceStack } from '../support/maintenance-run.js';

const skip = browserSkipReason() ?? false;

describe('console: maintenance runs, findings, run-a-sweep-now, stores and quotas (headless Chromium, noauth)', { skip }, () => {
  let stack: MaintenanceStack;
  let browser: Browser;
  const orphan = randomUUID();
  let kept: string;
  let lost: string;

  before(async () => {
    stack = await startMaintenanceStack({
      GLIMPSE_STORES: 'a:file,b:file',
      GLIMPSE_QUOTA_IMAGE_COUNT_TOTAL: '10',
      GLIMPSE_QUOTA_PROJECTS: JSON.stringify({ p2: { image_size_total: 1 } }),
    });
    const dirA = join(stack.config.dataDir, 'stores', 'a');
    mkdirSync(dirA, { recursive: true });
    const good = imageRecordWithFile(dirA, 'a', 4096, { name: 'kept', owner: 'p1' });
    const gone = imageRecordWithFile(dirA, 'a', 8192, { name: 'lost', owner: 'p2' });
    rmSync(new URL(gone.locations[0]!.url));
    writeFileSync(join(dirA, orphan), 'nobody owns me');
    kept = good._id;
    lost = gone._id;
    await stack.api.app.get<Connection>(getConnectionToken()).collection('images').insertMany([good, gone] as never[]);
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const runs = () => stack.api.app.get(MaintenanceRunRepository).list('auditor-sweep', 100);

  it('"Run auditor now" queues a run that appears on the page by itself, with its findings and orphans', async () => {
    const { page } = browser;
    await page.goto(`${stack.api.url}/console/maintenance`);
    await page.getByText('auditor: no runs recorded yet.').waitFor();
    await page.getByRole('button', { name: 'Run auditor now' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'queued' });
    await notice.waitFor();
    const id = await notice.locator('.mono').innerText();
    const row = page.locator(`tr[data-run="${id}"]`);
    await row.filter({ hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
    assert.match(await row.innerText(), /auditor\s+\S+\s+manual\s+succeeded/);
    // The per-image audits end after the sweep: the finding and the orphan come in with the page's refreshes.
    await page.locator('table[aria-labelledby="findings-h"] tr', { hasText: lost }).filter({ hasText: 'missing' }).waitFor({ timeout: 120_000 });
    await page.locator('table[aria-labelledby="orphans-h"] tr', { hasText: orphan }).waitFor();
    assert.equal(await page.locator('table[aria-labelledby="findings-h"] tr', { hasText: kept }).count(), 0);
    assert.equal(await page.locator('svg[aria-labelledby^="chart-auditor"]').getAttribute('data-runs'), '1');
    await browser.shot('maintenance');
  });

  it('a second click adds a second run to the chart', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Run auditor now' }).click();
    await page.locator('svg[aria-labelledby^="chart-auditor"][data-runs="2"]').waitFor({ timeout: 120_000 });
    assert.equal((await runs()).length, 2);
  });

  it('run-now without the CSRF token is refused and queues nothing', async () => {
    const { page } = browser;
    const before = (await runs()).length;
    const status = await page.evaluate(async () => {
      const res = await fetch('/console/maintenance/run', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'sweep=auditor' });
      return res.status;
    });
    assert.equal(status, 403);
    assert.equal((await runs()).length, before);
  });

  it('stores and quotas: copies and bytes per store, images and bytes per project with their limits', async () => {
    const { page } = browser;
    await page.goto(`${stack.api.url}/console/stores`);
    const cells = async (selector: string) => (await page.locator(selector).locator('td').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(await cells('tr[data-store="a"]'), ['a (default)', 'file', '2', '1', '12.0 KiB']);
    assert.deepEqual(await cells('tr[data-store="b"]'), ['b', 'file', '0', '0', '0 B']);
    assert.deepEqual(await cells('tr[data-project="p1"]'), ['p1', '1', '10', '4.00 KiB', 'unlimited']);
    assert.deepEqual(await cells('tr[data-project="p2"]'), ['p2', '1', '10', '8.00 KiB', '1.00 MiB']);
    await browser.shot('stores');
  });
});
