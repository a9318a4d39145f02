import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { createImage, filesUnder, octet, send, showImage } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1 << 20;

describe('uploads pass the format gate: the bytes say what the image is', () => {
  const work = mkdtempSync(join(tmpdir(), 'glimpse-gate-'));
  const qemu = (...args: string[]) => execFileSync('qemu-img', args);
  qemu('create', '-q', '-f', 'qcow2', join(work, 'disk.qcow2'), '32M');
  qemu('create', '-q', '-f', 'qcow2', join(work, 'base.qcow2'), '8M');
  qemu('create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', join(work, 'base.qcow2'), join(work, 'child.qcow2'));
  qemu('create', '-q', '-f', 'vpc', '-o', 'subformat=fixed', join(work, 'fixed.vhd'), '4M');
  const qcow2 = readFileSync(join(work, 'disk.qcow2'));
  const child = readFileSync(join(work, 'child.qcow2'));
  const vhd = readFileSync(join(work, 'fixed.vhd'));
  let api: RunningApi;
  let dataDir: string;

  before(async () => {
    const config = testConfig();
    dataDir = config.dataDir;
    api = await startApi(config);
  });
  after(async () => {
    await api.close();
    rmSync(work, { recursive: true, force: true });
  });

  const upload = (id: string, body: Buffer) => send(`${api.url}/v2/images/${id}/file`, 'PUT', octet(), body);

  it('accepts a qcow2 declared qcow2 and records its virtual size', async () => {
    const id = await createImage(api.url, undefined, { disk_format: 'qcow2', container_format: 'bare' });
    assert.equal((await upload(id, qcow2)).status, 204);
    const image = await showImage(api.url, id);
    assert.equal(image.status, 'active');
    assert.equal(image.virtual_size, 32 * MiB);
  });

  it('accepts a fixed VHD declared vhd (Glance calls it raw and refuses it)', async () => {
    const id = await createImage(api.url, undefined, { disk_format: 'vhd', container_format: 'bare' });
    assert.equal((await upload(id, vhd)).status, 204);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-f', 'vpc', join(work, 'fixed.vhd')]).toString()) as { 'virtual-size': number };
    assert.equal((await showImage(api.url, id)).virtual_size, info['virtual-size']);
  });

  for (const [what, body, declared, reason] of [
    ['a qcow2 declared raw', qcow2, 'raw', /qcow2, not the declared disk_format raw/],
    ['a qcow2 with a backing file', child, 'qcow2', /backing/i],
  ] as const) {
    it(`refuses ${what} with 415 (as Glance); the image stays queued and no bytes are kept`, async () => {
      const id = await createImage(api.url, undefined, { disk_format: declared, container_format: 'bare' });
      const res = await upload(id, body);
      assert.equal(res.status, 415);
      assert.match(res.body.toString(), reason);
      const image = await showImage(api.url, id);
      assert.equal(image.status, 'queued');
      assert.equal(image.size, null);
      assert.deepEqual(filesUnder(dataDir).filter((f) => f.includes(id)), []);
    });
  }
});
