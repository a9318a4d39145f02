import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browserSkipReason, consoleSuite } from '../support/browser.js';
import { testConfig } from '../support/test-config.js';

const skip = browserSkipReason() ?? false;

/** The few DOM shapes the page-side checks read (the test program is compiled without the DOM library). */
interface El {
  tagName: string;
  id: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): El | null;
  labels?: ArrayLike<El> | null;
}
interface Doc {
  documentElement: El;
  activeElement: El | null;
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): ArrayLike<El> & Iterable<El>;
  getElementById(id: string): El | null;
}

/** What the page's markup leaves unnamed or unlabelled for assistive technology (empty when all is well). */
function problems(): string[] {
  const doc = (globalThis as unknown as { document: Doc }).document;
  const out: string[] = [];
  const text = (e: El | null) => (e?.textContent ?? '').trim();
  const byIds = (ids: string | null) => (ids ?? '').split(/\s+/).filter(Boolean).map((id) => text(doc.getElementById(id))).join(' ').trim();
  const named = (e: El) => Boolean(e.getAttribute('aria-label')?.trim() || byIds(e.getAttribute('aria-labelledby')) || e.getAttribute('title')?.trim());
  const describe = (e: El) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.getAttribute('name') ? `[name=${e.getAttribute('name')}]` : ''}`;
  if (!doc.documentElement.getAttribute('lang')) out.push('html has no lang');
  if (doc.querySelectorAll('h1').length !== 1) out.push(`${doc.querySelectorAll('h1').length} h1 headings`);
  if (!doc.querySelector('main')) out.push('no main landmark');
  for (const e of doc.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = (e.labels?.length ?? 0) > 0 && Array.from(e.labels!).some((l) => text(l));
    if (!labelled && !named(e)) out.push(`${describe(e)} has no label`);
  }
  for (const e of doc.querySelectorAll('button, a[href]')) if (!text(e) && !named(e)) out.push(`${describe(e)} has no name`);
  for (const e of doc.querySelectorAll('table')) if (!named(e) && !text(e.querySelector('caption'))) out.push(`${describe(e)} has no name`);
  for (const e of doc.querySelectorAll('progress')) if (!named(e)) out.push(`${describe(e)} has no name`);
  for (const e of doc.querySelectorAll('nav')) if (!named(e)) out.push(`${describe(e)} has no name`);
  for (const e of doc.querySelectorAll('[aria-labelledby]')) {
    for (const id of (e.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter(Boolean)) if (!doc.getElementById(id)) out.push(`${describe(e)} points at missing #${id}`);
  }
  return out;
}

describe('console accessibility: names and labels on every page, and keyboard use (headless Chromium, noauth)', { skip }, () => {
  const suite = consoleSuite(() => testConfig({ GLIMPSE_STORES: 'a:file,b:file' }), before, after);
  let image: string;

  before(async () => {
    const headers = { 'x-project-id': 'p1', 'x-roles': 'member', 'content-type': 'application/json' };
    const res = await fetch(`${suite.api.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ name: 'a11y', disk_format: 'raw', container_format: 'bare' }) });
    image = ((await res.json()) as { id: string }).id;
  });

  it('every page: one h1, a lang, and every field, button, link, table, progress bar and navigation named', async () => {
    const { page } = suite.browser;
    const paths = ['/console', '/console/images', `/console/images/${image}`, '/console/work', '/console/maintenance', '/console/stores', '/console/session-ended'];
    for (const path of paths) {
      await page.goto(`${suite.api.url}${path}`);
      await page.waitForLoadState('networkidle');
      assert.deepEqual(await page.evaluate(problems), [], path);
    }
  });

  it('the navigation and a sweep\'s run-now button work from the keyboard alone', async () => {
    const { page } = suite.browser;
    await page.goto(`${suite.api.url}/console`);
    const focused = () => page.evaluate(() => ((globalThis as unknown as { document: Doc }).document.activeElement?.textContent ?? '').trim());
    // Tab from the top of the page to the navigation's Maintenance link, and follow it with Enter.
    for (let i = 0; i < 20 && (await focused()) !== 'Maintenance'; i++) await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Maintenance');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Maintenance', level: 1 }).waitFor();
    for (let i = 0; i < 40 && (await focused()) !== 'Run auditor now'; i++) await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Run auditor now', 'the run-now button is reached with Tab');
    await page.keyboard.press('Enter');
    const notice = page.getByRole('status').filter({ hasText: 'queued' });
    await notice.waitFor();
    assert.match(await notice.innerText(), /^Run \S+ queued/);
  });
});
