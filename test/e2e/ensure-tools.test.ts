import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..', '..');
const script = join(root, 'scripts/ensure-tools.sh');

/**
 * A machine with none of the tools: PATH holds only what the script itself runs (bash and a few coreutils), and
 * HOME is empty, so no FerretDB or Versity Gateway under ~/go/bin either. `--dry-run` prints the plan.
 */
describe('scripts/ensure-tools.sh: the run command installs what running needs, the test command the rest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-tools-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['bash', 'sed', 'sort', 'dirname', 'sha256sum', 'cut', 'cat']) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
  after(() => rmSync(dir, { recursive: true, force: true }));

  const plan = (args: string[], env: Record<string, string> = {}): string[] => {
    const run = spawnSync(join(bin, 'bash'), [script, '--dry-run', ...args], {
      encoding: 'utf8',
      env: { PATH: bin, HOME: dir, ...env },
    });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.trim().split('\n').filter(Boolean);
  };
  const testTools = ['deb python3-glanceclient', 'deb python3-openstackclient', 'deb python3-keystone', 'deb glance-common', 'deb chromium', 'go versitygw'];

  it('the run command (no flag) plans Redis and FerretDB, and none of the test tools', () => {
    const run = plan([]);
    assert.ok(run.includes('deb redis-server'), run.join(', '));
    assert.ok(run.includes('go ferretdb'), run.join(', '));
    for (const tool of [...testTools, 'deb qemu-utils', 'deb xorriso']) assert.ok(!run.includes(tool), `${tool} in ${run.join(', ')}`);
  });

  it('the run command plans PostgreSQL under FerretDB, unless FerretDB is on SQLite or MONGODB_URI is set', () => {
    const none = { GLIMPSE_POSTGRES_BIN_DIR: join(dir, 'no-postgres') };
    assert.ok(plan([], none).includes('deb postgresql'), plan([], none).join(', '));
    assert.ok(!plan([], { ...none, GLIMPSE_FERRETDB_BACKEND: 'sqlite' }).includes('deb postgresql'));
    assert.ok(!plan([], { ...none, MONGODB_URI: 'mongodb://db.example:27017/glimpse' }).includes('deb postgresql'));
  });

  it('the run command plans the sqlite3 shell only for FerretDB on SQLite (its _id indexes are made with it)', () => {
    assert.ok(plan([], { GLIMPSE_FERRETDB_BACKEND: 'sqlite' }).includes('deb sqlite3'));
    assert.ok(!plan([]).includes('deb sqlite3'));
    assert.ok(!plan([], { GLIMPSE_FERRETDB_BACKEND: 'sqlite', MONGODB_URI: 'mongodb://db.example:27017/glimpse' }).includes('deb sqlite3'));
  });

  it('the run command plans qemu-img only when imports convert', () => {
    assert.ok(plan([], { GLIMPSE_IMPORT_CONVERT_TO: 'qcow2' }).includes('deb qemu-utils'));
  });

  it('with MONGODB_URI set, the run command needs no FerretDB', () => {
    assert.ok(!plan([], { MONGODB_URI: 'mongodb://db.example:27017/glimpse' }).includes('go ferretdb'));
  });

  it('the test command (--test) adds the clients, Keystone, the image tools and Versity Gateway', () => {
    const test = plan(['--test']);
    for (const tool of [...testTools, 'deb redis-server', 'go ferretdb', 'deb qemu-utils', 'deb xorriso']) {
      assert.ok(test.includes(tool), `${tool} missing from ${test.join(', ')}`);
    }
    assert.equal(new Set(test).size, test.length, 'each package planned once');
  });

  it('refuses an unknown flag', () => {
    const run = spawnSync(join(bin, 'bash'), [script, '--bogus'], { encoding: 'utf8', env: { PATH: bin, HOME: dir } });
    assert.equal(run.status, 2);
  });
});
