import { execFile } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** A real single-node Swift (../shared/tools/swift/start-swift.sh: Debian's packages, tempauth) on a free loopback port. */
export interface RunningSwift {
  port: number;
  dataDir: string;
  authUrl: string;
  user: string;
  key: string;
  storageUrl: string;
  other: { user: string; key: string; storageUrl: string };
  /** A GLIMPSE_STORES entry for a swift store on this Swift (tempauth v1). */
  storeEntry(id: string, extra?: Record<string, unknown>): Record<string, unknown>;
  /** A token of the glimpse account (or the other one). */
  token(account?: 'glimpse' | 'other'): Promise<string>;
  /** Names in a container (every page), [] when it does not exist. */
  names(container: string, prefix?: string): Promise<string[]>;
  /** One request on the glimpse account with a fresh token: `path` is after the storage URL (`/container/object`). */
  raw(method: string, path: string, init?: { headers?: Record<string, string>; body?: Buffer }): Promise<Response>;
  /** Stops the servers, keeping the data (then `start` brings them back on the same port). */
  stop(): Promise<void>;
  /** Starts the servers again (same data, port and keys); `env` replaces the start's settings (e.g. SWIFT_TOKEN_LIFE). */
  start(env?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** The shared Swift tools: GLIMPSE_TEST_SWIFT_TOOLS, ../shared/tools/swift, or next to the main checkout of a worktree. */
export function swiftTools(): string {
  const candidates = [process.env.GLIMPSE_TEST_SWIFT_TOOLS, resolve('../shared/tools/swift')];
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { encoding: 'utf8' }).trim();
    candidates.push(resolve(dirname(common), '../shared/tools/swift'));
  } catch {
    // not a git checkout
  }
  const found = candidates.find((d): d is string => !!d && existsSync(join(d, 'start-swift.sh')));
  if (!found) throw new Error(`start-swift.sh not found (${candidates.filter(Boolean).join(', ')}); set GLIMPSE_TEST_SWIFT_TOOLS`);
  return found;
}

function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('export ')) continue;
    for (const m of line.slice(7).matchAll(/([A-Z_]+)=('([^']*)'|(\S*))/g)) env[m[1]!] = m[3] ?? m[4] ?? '';
  }
  return env;
}

/**
 * Starts a Swift of its own (temporary data dir, free port); `env` e.g. SWIFT_TOKEN_LIFE; `prepare` runs on the
 * data dir first (e.g. to fix its keys).
 */
export async function startSwift(env: Record<string, string> = {}, prepare?: (dataDir: string) => Promise<void>): Promise<RunningSwift> {
  const tools = swiftTools();
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-swift-'));
  await prepare?.(dataDir);
  let port = 0;
  let vars: Record<string, string> = {};
  const start = async (settings = env) => {
    const { stdout } = await run('bash', [join(tools, 'start-swift.sh'), dataDir, String(port)], {
      env: { ...process.env, SWIFT_S3API: '0', ...settings },
      timeout: 300_000,
      maxBuffer: 16 << 20,
    });
    vars = parseExports(stdout);
  };
  let lastError: unknown;
  // A port found free can be taken before the proxy binds it: try a few.
  for (let attempt = 0; attempt < 3 && !vars.SWIFT_AUTH_URL; attempt++) {
    port = await freePort();
    await start().catch((err: unknown) => (lastError = err));
  }
  if (!vars.SWIFT_AUTH_URL) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`start-swift.sh failed: ${(lastError as { stderr?: string })?.stderr?.slice(-2000) ?? lastError}`);
  }
  const stop = async () => {
    await run('bash', [join(tools, 'stop-swift.sh'), dataDir], { timeout: 120_000 });
  };
  const token = async (account: 'glimpse' | 'other' = 'glimpse') => {
    const res = await fetch(vars.SWIFT_AUTH_URL!, {
      headers: account === 'glimpse' ? { 'x-auth-user': vars.SWIFT_USER!, 'x-auth-key': vars.SWIFT_KEY! } : { 'x-auth-user': vars.SWIFT_OTHER_USER!, 'x-auth-key': vars.SWIFT_OTHER_KEY! },
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`tempauth answered ${res.status}`);
    return res.headers.get('x-auth-token')!;
  };
  const raw = async (method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer } = {}) =>
    fetch(`${vars.SWIFT_STORAGE_URL}${path}`, { method, headers: { 'x-auth-token': await token(), ...init.headers }, body: init.body });
  const running: RunningSwift = {
    port,
    dataDir,
    authUrl: vars.SWIFT_AUTH_URL,
    user: vars.SWIFT_USER!,
    key: vars.SWIFT_KEY!,
    storageUrl: vars.SWIFT_STORAGE_URL ?? '',
    other: { user: vars.SWIFT_OTHER_USER ?? '', key: vars.SWIFT_OTHER_KEY ?? '', storageUrl: (vars.SWIFT_STORAGE_URL ?? '').replace(/AUTH_glimpse$/, 'AUTH_other') },
    storeEntry: (id, extra = {}) => ({ id, type: 'swift', auth_url: vars.SWIFT_AUTH_URL, user: vars.SWIFT_USER, key: vars.SWIFT_KEY, ...extra }),
    token,
    raw,
    async names(container, prefix = '') {
      const out: string[] = [];
      let marker = '';
      for (;;) {
        const res = await raw('GET', `/${encodeURIComponent(container)}?format=json&prefix=${encodeURIComponent(prefix)}&marker=${encodeURIComponent(marker)}`);
        if (res.status === 404 || res.status === 204) return out;
        const page = (await res.json()) as { name: string }[];
        if (!page.length) return out;
        out.push(...page.map((e) => e.name));
        marker = page[page.length - 1]!.name;
      }
    },
    stop,
    start,
    async close() {
      await stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return running;
}
