import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

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
