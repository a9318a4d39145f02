import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type ServiceSpec, startService } from './service-process.js';

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

describe('startService', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-service-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a server gets the variables its spec adds to the environment', async () => {
    const spec: ServiceSpec = {
      name: 'env-probe',
      port: await unusedPort(),
      dir,
      command: process.execPath,
      args: ['-e', 'console.error(`probe sees ${process.env.GLIMPSE_PROBE_VAR}`); process.exit(3)'],
      env: { GLIMPSE_PROBE_VAR: 'added' },
    };
    await assert.rejects(startService(spec), /probe sees added/);
  });

  it('a server that exits before it listens fails with its output and leaves the running one\'s pid file alone', async () => {
    const spec: ServiceSpec = {
      name: 'probe',
      port: await unusedPort(),
      dir,
      command: process.execPath,
      args: ['-e', 'console.error("lock file already exists"); process.exit(3)'],
    };
    const pid = join(dir, 'probe.pid');
    writeFileSync(pid, '424242\n');
    await assert.rejects(startService(spec), /probe did not start .*exited with 3.*lock file already exists/s);
    assert.equal(readFileSync(pid, 'utf8'), '424242\n');
  });

  it('a server that comes up writes its pid file', async () => {
    const port = await unusedPort();
    const spec: ServiceSpec = {
      name: 'listener',
      port,
      dir,
      command: process.execPath,
      args: ['-e', `require('node:net').createServer().listen(${port}, '127.0.0.1'); setTimeout(() => process.exit(0), 20000)`],
    };
    assert.equal(await startService(spec), true);
    const pid = Number(readFileSync(join(dir, 'listener.pid'), 'utf8'));
    assert.ok(pid > 0);
    process.kill(pid, 'SIGKILL');
  });
});
