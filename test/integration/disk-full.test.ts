import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import { createImage, filesUnder, octet, send, showImage } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';
import { testTempDir } from '../support/temp-dir.js';

const MiB = 1 << 20;

/** Mounting a small tmpfs needs root (and a kernel that lets this process mount). */
function mountSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = testTempDir('glimpse-mount-probe-');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
  if (mounted.status !== 0) return `cannot mount a tmpfs here: ${String(mounted.stderr).trim()}`;
  spawnSync('umount', [probe]);
  return false;
}

/**
 * Issue 20 item 7: a store or staging area that fills up mid-upload (ENOSPC) answers Glance's 413 "Image storage
 * media is full", leaves the image queued with no partial file, and frees the upload's quota hold. The file store
 * and the staging area are real 4 MiB file systems.
 */
describe('a full store or staging disk', { skip: mountSkipReason() }, () => {
  const dataDir = testTempDir('glimpse-test-');
  const storeDir = join(dataDir, 'stores', 'local');
  const stagingDir = join(dataDir, 'staging');
  const config = testConfig({ GLIMPSE_DATA_DIR: dataDir, GLIMPSE_IMAGE_SIZE_CAP: String(64 * MiB), GLIMPSE_QUOTA_IMAGE_COUNT_UPLOADING: '1' });
  let api: RunningApi;

  before(async () => {
    for (const dir of [storeDir, stagingDir]) {
      mkdirSync(dir, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    }
    api = await startApi(config);
  });
  after(async () => {
    for (const dir of [storeDir, stagingDir]) spawnSync('umount', ['-l', dir]);
    await api?.close();
  });

  const put = (id: string, what: 'file' | 'stage', bytes: Buffer) => send(`${api.url}/v2/images/${id}/${what}`, 'PUT', octet(), bytes);

  for (const what of ['file', 'stage'] as const) {
    it(`PUT /${what} of more than the disk holds: 413 in Glance's shape, image queued, nothing left, the next upload works`, async () => {
      const id = await createImage(api.url);
      const res = await put(id, what, Buffer.alloc(6 * MiB, 1));
      assert.equal(res.status, 413, res.body.toString());
      const body = JSON.parse(res.body.toString()) as { code: string; message: string };
      assert.equal(body.code, '413 Request Entity Too Large');
      assert.match(body.message, /^Image storage media is full: There is not enough disk space on the image storage media\./);
      const image = await showImage(api.url, id);
      assert.equal(image.status, 'queued');
      assert.equal(image.size, null);
      assert.deepEqual(filesUnder(what === 'file' ? storeDir : stagingDir), [], 'no partial file');
      assert.equal((await api.app.get(ImageRepository).findById(id))!.locations.length, 0);
      // The hold of the failed upload is gone (the quota allows one upload at a time) and there is room again.
      const small = await put(id, what, Buffer.alloc(MiB, 2));
      assert.equal(small.status, 204, small.body.toString());
    });
  }
});
