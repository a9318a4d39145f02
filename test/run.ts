/**
 * The test suite's entry point (`npm test [-- filter…]`): makes sure the local MongoDB-compatible server and Redis
 * run (or uses MONGODB_URI / REDIS_URL when set), runs every unit spec (dist/**\/*.spec.js) and every integration
 * and e2e test (dist/test/**\/*.test.js) with Node's test runner, and ends with the line `N passed, N failed`.
 * The tests get a temp dir of their own (TMPDIR); a run whose tests leave a glimpse-* entry in it fails, naming it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { loadConfig } from '@glimpse/config';
import { ensureLocalServices } from '@glimpse/local-services';

// This file runs from <dist>/test/run.js; tests are collected from the same build (dist/ or GLIMPSE_DIST).
const dist = resolve(import.meta.dirname, '..');
const root = resolve(dist, '..');

function collect(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) collect(path, out);
    else if (/\.(spec|test)\.js$/.test(entry.name)) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(dist)
  .filter((f) => filters.length === 0 || filters.some((p) => relative(dist, f).includes(p)))
  .sort();

if (files.length === 0) {
  // Without file arguments Node would discover tests on its own (and run this runner): refuse instead.
  console.error(`no test file matches ${filters.join(' ') || '(all)'}`);
  console.log('0 passed, 0 failed');
  process.exit(1);
}

const services = await ensureLocalServices(loadConfig());
const tap = join(dist, 'test-results.tap');
// Every test cleans up what it creates: a private temp dir shows what a run leaves (and parallel runs don't mix).
const testTmp = mkdtempSync(join(tmpdir(), 'glimpse-run-'));
// Others may enter it (not list it): a test's own PostgreSQL runs as the `postgres` user in a data dir below.
chmodSync(testTmp, 0o711);
const child = spawn(
  process.execPath,
  [
    '--enable-source-maps',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=600000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      GLIMPSE_TEST_MONGODB_URI: services.config.mongo.uri,
      GLIMPSE_TEST_REDIS_URL: services.config.redis.url,
      // The PostgreSQL database under the local FerretDB, where the companion indexes are kept (unset on mongod).
      ...(services.config.mongo.postgresUrl ? { GLIMPSE_TEST_POSTGRES_URL: services.config.mongo.postgresUrl } : {}),
      ...(services.config.mongo.sqliteDir ? { GLIMPSE_TEST_SQLITE_DIR: services.config.mongo.sqliteDir } : {}),
      TMPDIR: testTmp,
    },
  },
);
const code: number = await new Promise((done) => child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0))));
await services.stop();

const summary = readFileSync(tap, 'utf8');
const count = (key: string) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(summary)?.[1] ?? 0);
// A skipped suite (describe with `skip`) is not in the runner's own '# skipped' count: count every skipped test
// or suite line instead, and the todo ones.
const skipped = (summary.match(/^\s*ok \d+ - .*# SKIP/gm) ?? []).length + count('todo');
const failed = count('fail') + count('cancelled');
rmSync(tap, { force: true });
// Ours (glimpse-*) fail the run; what outside tools (CLIs, browsers) leave is named, and removed all the same.
const left = readdirSync(testTmp).sort();
const leftovers = left.filter((name) => name.startsWith('glimpse-'));
rmSync(testTmp, { recursive: true, force: true });
if (leftovers.length) console.log(`the tests left ${leftovers.length} entries in their temp dir: ${leftovers.join(' ')}`);
if (left.length > leftovers.length) console.log(`outside tools left in the tests' temp dir: ${left.filter((n) => !leftovers.includes(n)).join(' ')}`);
console.log(`${count('pass')} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${leftovers.length ? `, ${leftovers.length} left behind` : ''}`);
process.exit(code !== 0 || failed > 0 || files.length === 0 || leftovers.length ? code || 1 : 0);
