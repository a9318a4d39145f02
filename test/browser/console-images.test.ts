import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { type RunningApi, startApi } from '../support/api-app.js';
import { type Browser, browserSkipReason, openBrowser } from '../support/browser.js';
import { imageRecord } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';

const skip = browserSkipReason() ?? false;
const as = (project: string, roles = 'member') => ({ 'content-type': 'application/json', accept: 'application/json', 'x-project-id': project, 'x-roles': roles });

describe('console: images list with filters, and an image page (headless Chromium, noauth)', { skip }, () => {
  let api: RunningApi;
  let browser: Browser;
  const alpha = imageRecord({
    name: 'alpha-ubuntu', visibility: 'public', owner: 'p1', size: 1024, checksum: 'c0ffee',
    locations: [
      { url: 'file:///nowhere/a', store: 'a', metadata: {}, status: 'active' },
      { url: 'file:///nowhere/b', store: 'b', metadata: { problem: 'missing' }, status: 'bad' },
    ],
  });
  const beta = imageRecord({ name: 'beta-broken', visibility: 'private', owner: 'p2', status: 'killed', locations: [{ url: 'file:///nowhere/c', store: 'b', metadata: {}, status: 'active' }] });
  let gamma: string;

  before(async () => {
    api = await startApi(testConfig({ GLIMPSE_STORES: 'a:file,b:file' }));
    const db = api.app.get<Connection>(getConnectionToken());
    await db.collection('images').insertMany([alpha, beta] as never[]);
    await db.collection('audit_findings').insertOne({ _id: `${alpha._id}/b`, imageId: alpha._id, store: 'b', problem: 'missing', location: null, foundAt: new Date() } as never);
    const created = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: as('p1'), body: JSON.stringify({ name: 'gamma-shared', visibility: 'shared', disk_format: 'qcow2', container_format: 'bare' }) });
    gamma = ((await created.json()) as { id: string }).id;
    const member = await fetch(`${api.url}/v2/images/${gamma}/members`, { method: 'POST', headers: as('p1'), body: JSON.stringify({ member: 'p3' }) });
    assert.equal(member.status, 200);
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await api?.close();
  });

  const names = async () => (await browser.page.locator('table[aria-label="Images"] tbody td:first-child a').allInnerTexts()).sort();

  async function filter(fields: Record<string, string>) {
    const { page } = browser;
    await page.goto(`${api.url}/console/images`);
    for (const [label, value] of Object.entries(fields)) {
      const input = page.getByLabel(label, { exact: true });
      if ((await input.evaluate((e) => e.tagName)) === 'SELECT') await input.selectOption(value);
      else await input.fill(value);
    }
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForLoadState();
  }

  it('lists the listed images of every project', async () => {
    await browser.page.goto(`${api.url}/console/images`);
    assert.deepEqual(await names(), ['alpha-ubuntu', 'gamma-shared'], 'a killed image is listed only when asked for');
    await browser.shot('images');
  });

  it('filters by status, owner, visibility, store and name', async () => {
    await filter({ Status: 'killed' });
    assert.deepEqual(await names(), ['beta-broken']);
    await filter({ 'Owner (project)': 'p1' });
    assert.deepEqual(await names(), ['alpha-ubuntu', 'gamma-shared']);
    await filter({ Visibility: 'shared' });
    assert.deepEqual(await names(), ['gamma-shared']);
    await filter({ Store: 'b' });
    assert.deepEqual(await names(), ['alpha-ubuntu']);
    await filter({ Store: 'b', Status: 'killed' });
    assert.deepEqual(await names(), ['beta-broken']);
    await filter({ Name: 'gamma-shared', 'Owner (project)': 'p1' });
    assert.deepEqual(await names(), ['gamma-shared']);
    assert.match(browser.page.url(), /name=gamma-shared/, 'filters are in the URL, so a filtered list can be shared');
    await filter({ Name: 'nothing-by-this-name' });
    assert.deepEqual(await names(), []);
    await browser.page.getByText('No image matches these filters.').waitFor();
  });

  it('works from the keyboard: a skip link first, then the filters, submitted with Enter', async () => {
    const { page } = browser;
    await page.goto(`${api.url}/console/images`);
    const focused = () => page.evaluate(() => {
      const e = (globalThis as unknown as { document: { activeElement: { tagName: string; id: string; textContent: string } | null } }).document.activeElement;
      return e ? `${e.tagName.toLowerCase()}#${e.id}:${e.textContent?.trim().slice(0, 20)}` : '';
    });
    await page.keyboard.press('Tab');
    assert.match(await focused(), /^a#:Skip to content/);
    await page.keyboard.press('Enter');
    assert.match(await focused(), /^main#main/);
    await page.keyboard.press('Tab');
    assert.match(await focused(), /^input#name/, 'the first field after the skip is the name filter');
    await page.keyboard.type('alpha-ubuntu');
    await page.keyboard.press('Enter');
    await page.waitForURL(/name=alpha-ubuntu/);
    assert.deepEqual(await names(), ['alpha-ubuntu']);
  });

  it('an unknown filter value is a 400, not a 500', async () => {
    const res = await browser.page.goto(`${api.url}/console/images?status=bogus`);
    assert.equal(res!.status(), 400);
  });

  it('the image page shows metadata and each store\'s copy with the auditor\'s finding', async () => {
    const { page } = browser;
    await page.goto(`${api.url}/console/images`);
    await page.getByRole('link', { name: 'alpha-ubuntu' }).click();
    await page.getByRole('heading', { name: 'alpha-ubuntu', level: 1 }).waitFor();
    const meta = await page.locator('dl.meta').innerText();
    assert.match(meta, new RegExp(alpha._id));
    assert.match(meta, /c0ffee/);
    const copies = await page.locator('table[aria-labelledby="copies-h"] tbody tr').allInnerTexts();
    assert.equal(copies.length, 2);
    assert.match(copies[0]!, /^a\s+good/);
    assert.match(copies[1]!, /^b\s+missing\s+missing \(found /);
    await browser.shot('image-alpha');
  });

  it('the image page lists members, and a store without a copy', async () => {
    const { page } = browser;
    await page.goto(`${api.url}/console/images/${gamma}`);
    const members = await page.locator('table[aria-labelledby="members-h"] tbody tr').allInnerTexts();
    assert.equal(members.length, 1);
    assert.match(members[0]!, /p3\s+pending/);
    const copies = await page.locator('table[aria-labelledby="copies-h"] tbody tr').allInnerTexts();
    assert.deepEqual(copies.map((c) => c.replace(/\s+/g, ' ').trim()), ['a no copy —', 'b no copy —']);
    assert.equal((await page.goto(`${api.url}/console/images/00000000-0000-0000-0000-000000000000`))!.status(), 404);
  });
});
