import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { TaskRepository } from '@glimpse/persistence';
import { type Browser, browserSkipReason, openBrowser } from '../support/browser.js';
import { imageServer } from '../support/image-server.js';
import { type ImportStack, member, startImportStack } from '../support/import-stack.js';
import { testConfig } from '../support/test-config.js';

const skip = browserSkipReason() ?? false;
const MiB = 1024 * 1024;
const SIZE = 256 * MiB;

describe('console: live work, a 256 MiB web-download from a slow server moves its progress bar (headless Chromium)', { skip }, () => {
  let server: Awaited<ReturnType<typeof imageServer>>;
  let stack: ImportStack;
  let browser: Browser;

  before(async () => {
    const chunk = Buffer.alloc(MiB);
    server = await imageServer({
      // 1 MiB every 40 ms: about 25 MiB/s, so the import takes ten seconds or more.
      '/slow.raw': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
        res.on('error', () => undefined);
        let sent = 0;
        const next = () => {
          if (res.destroyed) return;
          if (sent === SIZE) return void res.end();
          sent += MiB;
          res.write(chunk);
          setTimeout(next, 40);
        };
        next();
      },
    });
    stack = await startImportStack(testConfig({
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: `80,443,${server.port}`,
    }));
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await server?.close();
  });

  async function startImport(name: string, uri: string): Promise<string> {
    const id = await stack.create({ name, disk_format: 'raw', container_format: 'bare' });
    const res = await fetch(`${stack.api.url}/v2/images/${id}/import`, { method: 'POST', headers: member, body: JSON.stringify({ method: { name: 'web-download', uri } }) });
    assert.equal(res.status, 202, await res.text());
    return id;
  }

  it('the bar rises with bytes, rate and time left, and the image reaches active without a reload', async () => {
    const { page } = browser;
    let navigations = 0;
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations++);
    await page.goto(`${stack.api.url}/console/work`);
    await page.getByText('Nothing is running.').waitFor();
    const loads = navigations;

    const id = await startImport('slow-256', `${server.url}/slow.raw`);
    const [task] = await stack.api.app.get(TaskRepository).forImage(id);
    const job = page.locator(`#running [data-task="${task!.id}"]`);
    await job.waitFor();
    const seen: number[] = [];
    let facts = '';
    let shot = false;
    while (await job.count()) {
      const value = await job.locator('progress').evaluate((p) => (p as unknown as { value: number }).value).catch(() => null);
      if (value !== null && value > 0 && value < SIZE && value !== seen.at(-1)) seen.push(value);
      const text = await job.locator('.facts').innerText().catch(() => '');
      if (/MiB\/s/.test(text) && /time left \d/.test(text)) {
        facts = text;
        if (!shot) {
          await browser.shot('work-running');
          shot = true;
        }
      }
      await sleep(250);
    }
    assert.ok(seen.length >= 3, `the bar moved on its own: ${seen.map((v) => Math.round(v / MiB)).join(', ')} MiB`);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen, 'and only upwards');
    assert.match(facts, /MiB of 256\.0 MiB/);
    assert.match(facts, /\d+\.\d MiB\/s/);
    assert.match(facts, /time left \d+/);

    const finished = page.locator(`#done [data-task="${task!.id}"]`);
    await finished.waitFor();
    assert.match(await finished.innerText(), /active/);
    assert.equal(navigations, loads, 'no reload');
    assert.equal((await stack.show(id)).status, 'active');
  });

  it('a failed import shows its reason', async () => {
    const { page } = browser;
    const id = await startImport('missing-source', `${server.url}/no-such-file.raw`);
    const [task] = await stack.api.app.get(TaskRepository).forImage(id);
    const row = page.locator(`#failed [data-task="${task!.id}"]`);
    await row.waitFor({ timeout: 120_000 });
    const failed = (await stack.api.app.get(TaskRepository).findById(task!.id))!;
    assert.equal(failed.status, 'failure');
    assert.ok(failed.message.length > 0);
    assert.equal(await row.locator('.reason').innerText(), failed.message);
    assert.match(failed.message, /404/);
    await browser.shot('work-failed');
  });
});
