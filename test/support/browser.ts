import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { ResolvedConfig } from '@glimpse/config';
import { type RunningApi, startApi } from './api-app.js';

/** Debian's chromium (scripts/ensure-tools.sh installs it for the tests); playwright never downloads a browser. */
export const CHROMIUM = process.env.GLIMPSE_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Where the browser tests leave their screenshots (not committed: see .gitignore). */
export const ARTEFACTS = resolve('test-artifacts', 'console');

export function browserSkipReason(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or run scripts/ensure-tools.sh as root)`;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** A full-page screenshot under test-artifacts/console/<name>.png. */
  shot(name: string, page?: Page): Promise<void>;
  close(): Promise<void>;
}

/** Headless Chromium on a fresh profile, with nothing reaching out on its own (no updates, sync, QUIC). */
export async function openBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'glimpse-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1366, height: 768 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // A loaded 2-core machine can take long to answer: wait as long as the servers need, not playwright's 30 s.
  context.setDefaultTimeout(180_000);
  context.setDefaultNavigationTimeout(180_000);
  const page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(ARTEFACTS, { recursive: true });
  return {
    context,
    page,
    shot: async (name, p = page) => void (await p.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true })),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Registers a suite's before/after hooks that start the real API (on `config`, or a fresh noauth one) and a
 * browser; the returned object holds both once `before` has run.
 */
export function consoleSuite(config: () => ResolvedConfig, before: (fn: () => Promise<void>) => void, after: (fn: () => Promise<void>) => void): { api: RunningApi; browser: Browser } {
  const suite = {} as { api: RunningApi; browser: Browser };
  before(async () => {
    suite.api = await startApi(config());
    suite.browser = await openBrowser();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.api?.close();
  });
  return suite;
}
