import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { createLogger } from '@glimpse/common';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { glance, listTable, propertyTable } from '../support/glance-cli.js';
import { imageServer, serve } from '../support/image-server.js';
import { testConfig } from '../support/test-config.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/**
 * The real `glance` CLI in its v1 mode (Debian python3-glanceclient 4.1.0, `--os-image-api-version 1`) against
 * Glimpse, with a worker for copy-from: the commands a v1 user types, each result checked through v2 too.
 */
describe('glance CLI v1 end to end', () => {
  let api: RunningApi;
  let worker: INestApplicationContext;
  let source: Awaited<ReturnType<typeof imageServer>>;
  let dataDir: string;
  let disk: Buffer;
  let raw: Buffer;
  const owner = 'tok-owner-0001';
  const tenantX = 'tok-tenant-x-0001';
  const admin = 'tok-admin-00001';
  const cli = (token: string, ...args: string[]) => glance(api.url, token, args, { apiVersion: '1', home: dataDir, tty: args[0] === 'image-update' });
  const ok = async (token: string, ...args: string[]) => {
    const r = await cli(token, ...args);
    assert.equal(r.code, 0, `glance ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const v2 = async (id: string, token = admin) => {
    const res = await fetch(`${api.url}/v2/images/${id}`, { headers: { 'x-auth-token': token, accept: 'application/json' } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  before(async () => {
    const base = testConfig();
    dataDir = base.dataDir;
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(dataDir, 'disk1.img'), '64M']);
    disk = readFileSync(join(dataDir, 'disk1.img'));
    raw = Buffer.from('thirteen byte');
    writeFileSync(join(dataDir, 'data.bin'), raw);
    source = await imageServer({ '/disk1.img': serve(disk) });
    const tokens = join(dataDir, 'tokens.json');
    writeFileSync(
      tokens,
      JSON.stringify({
        [owner]: { project: 'proj-owner', user: 'u-owner', roles: ['member', 'reader'] },
        [tenantX]: { project: 'tenant-x', user: 'u-x', roles: ['member', 'reader'] },
        [admin]: { project: 'proj-admin', user: 'u-admin', roles: ['admin', 'member', 'reader'] },
      }),
    );
    const config = testConfig({
      GLIMPSE_AUTH: 'tokens',
      GLIMPSE_TOKENS_FILE: tokens,
      GLIMPSE_DATA_DIR: dataDir,
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: `80,443,${source.port}`,
    });
    api = await startApi(config);
    worker = await createWorkerApp(config, createLogger({ level: 'silent', pretty: false, name: 'test-worker' }));
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await source?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let seeded: string;
  let uploaded: string;

  it("the product's seed command: image-create --copy-from prints queued, image-show reaches active with the source's md5", async () => {
    const created = propertyTable(
      await ok(admin, 'image-create', '--name', 'Ubuntu 14.04 LTS', '--container-format', 'bare', '--disk-format', 'qcow2', '--is-public', 'true',
        '--copy-from', `${source.url}/disk1.img`),
    );
    assert.equal(created.status, 'queued');
    assert.equal(created.name, 'Ubuntu 14.04 LTS');
    assert.equal(created.is_public, 'True');
    seeded = created.id!;
    let shown: Record<string, string> = {};
    for (let i = 0; i < 300; i++) {
      shown = propertyTable(await ok(owner, 'image-show', seeded));
      if (shown.status !== 'queued' && shown.status !== 'saving') break;
      await sleep(100);
    }
    assert.equal(shown.status, 'active');
    assert.equal(shown.checksum, md5(disk));
    assert.equal(shown.size, String(disk.length));
    const seen = await v2(seeded, owner);
    assert.equal(seen.body.visibility, 'public');
    assert.equal(seen.body.checksum, md5(disk));
    assert.equal(seen.body.virtual_size, 64 * 1024 * 1024, 'the format gate read the qcow2 header');
  });

  it('image-create --file with properties, then image-download is byte-identical', async () => {
    const created = propertyTable(
      await ok(owner, 'image-create', '--name', 'up', '--container-format', 'bare', '--disk-format', 'raw', '--file', join(dataDir, 'data.bin'),
        '--property', 'os_distro=cirros', '--property', 'Foo-Bar=x', '--min-ram', '512', '--checksum', md5(raw)),
    );
    assert.equal(created.status, 'active');
    assert.equal(created.checksum, md5(raw));
    assert.equal(created["Property 'os_distro'"], 'cirros');
    assert.equal(created["Property 'foo_bar'"], 'x');
    uploaded = created.id!;
    const out = join(dataDir, 'out.bin');
    await ok(owner, 'image-download', uploaded, '--file', out);
    assert.ok(readFileSync(out).equals(raw));
    const seen = await v2(uploaded, owner);
    assert.equal(seen.body.os_distro, 'cirros');
    assert.equal(seen.body.min_ram, 512);
  });

  it('image-list with filters and sort', async () => {
    const reserve = propertyTable(await ok(owner, 'image-create', '--name', 'reserve'));
    assert.equal(reserve.status, 'queued');
    const names = (rows: Record<string, string>[]) => rows.map((r) => r.Name);
    assert.deepEqual(names(listTable(await ok(owner, 'image-list', '--sort-key', 'name', '--sort-dir', 'asc'))), ['Ubuntu 14.04 LTS', 'reserve', 'up'], 'byte order, as the database sorts');
    assert.deepEqual(names(listTable(await ok(owner, 'image-list', '--sort-key', 'size', '--sort-dir', 'desc', '--status', 'active'))), ['Ubuntu 14.04 LTS', 'up']);
    assert.deepEqual(names(listTable(await ok(owner, 'image-list', '--disk-format', 'raw', '--container-format', 'bare', '--size-min', '1', '--size-max', '100'))), ['up']);
    assert.deepEqual(names(listTable(await ok(owner, 'image-list', '--property-filter', 'os_distro=cirros'))), ['up']);
    assert.deepEqual(names(listTable(await ok(owner, 'image-list', '--name', 'Ubuntu 14.04 LTS'))), ['Ubuntu 14.04 LTS']);
    assert.deepEqual(names(listTable(await ok(owner, 'image-list', '--page-size', '1', '--sort-key', 'name', '--sort-dir', 'asc'))), ['Ubuntu 14.04 LTS', 'reserve', 'up'], 'pages with marker');
    assert.deepEqual(names(listTable(await ok(tenantX, 'image-list'))), ['Ubuntu 14.04 LTS'], 'another project sees only the public image');
    assert.ok(names(listTable(await ok(admin, 'image-list', '--all-tenants'))).includes('reserve'));
  });

  it('image-update without and with --purge-props; the same properties through v2', async () => {
    const kept = propertyTable(await ok(owner, 'image-update', uploaded, '--name', 'new name', '--property', 'a=b', '--min-ram', '256'));
    assert.equal(kept.name, 'new name');
    assert.equal(kept["Property 'a'"], 'b');
    assert.equal(kept["Property 'os_distro'"], 'cirros');
    assert.equal(kept.min_ram, '256');
    const purged = propertyTable(await ok(owner, 'image-update', uploaded, '--purge-props', '--property', 'only=this'));
    assert.equal(purged["Property 'only'"], 'this');
    assert.equal(purged["Property 'os_distro'"], undefined);
    const seen = await v2(uploaded, owner);
    assert.equal(seen.body.only, 'this');
    assert.equal(seen.body.os_distro, undefined);
    assert.equal(seen.body.name, 'new name');
    const refused = await cli(owner, 'image-update', uploaded, '--file', join(dataDir, 'data.bin'));
    assert.notEqual(refused.code, 0, 'no data onto an active image');
  });

  it('member-create, member-list (by image and by tenant), member-delete', async () => {
    await ok(owner, 'member-create', uploaded, 'tenant-x', '--can-share');
    const byImage = listTable(await ok(owner, 'member-list', '--image-id', uploaded));
    assert.deepEqual(byImage.map((r) => [r['Member ID'], r['Can Share']]), [['tenant-x', 'True']]);
    const byTenant = listTable(await ok(tenantX, 'member-list', '--tenant-id', 'tenant-x'));
    assert.deepEqual(byTenant.map((r) => r['Image ID']), [uploaded]);
    assert.equal(propertyTable(await ok(tenantX, 'image-show', uploaded)).name, 'new name', 'the member sees the image');
    const v2members = (await (await fetch(`${api.url}/v2/images/${uploaded}/members`, { headers: { 'x-auth-token': owner } })).json()) as { members: { member_id: string }[] };
    assert.deepEqual(v2members.members.map((m) => m.member_id), ['tenant-x']);
    await ok(owner, 'member-delete', uploaded, 'tenant-x');
    assert.deepEqual(listTable(await ok(owner, 'member-list', '--image-id', uploaded)), []);
    assert.notEqual((await cli(tenantX, 'image-show', uploaded)).code, 0, 'no longer shared');
  });

  it('image-delete, after which image-show fails (and v2 answers 404)', async () => {
    await ok(owner, 'image-delete', uploaded);
    const shown = await cli(owner, 'image-show', uploaded);
    assert.notEqual(shown.code, 0);
    assert.equal((await v2(uploaded, owner)).status, 404);
  });
});
