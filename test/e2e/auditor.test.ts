import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ImageRepository } from '@glimpse/persistence';
import type { RunningApi } from '../support/api-app.js';
import { type MaintenanceStack, startMaintenanceStack } from '../support/maintenance-run.js';

const member = { accept: 'application/json', 'content-type': 'application/json', 'x-project-id': 'pa', 'x-roles': 'member' };
const admin = { ...member, 'x-project-id': 'padmin', 'x-roles': 'admin' };
const SIZE = 256 * 1024;

describe('auditor: missing and corrupt copies are found, marked bad and listed', () => {
  let stack: MaintenanceStack;
  let api: RunningApi;
  let images: ImageRepository;

  before(async () => {
    stack = await startMaintenanceStack({
      GLIMPSE_STORES: 'a:file,b:file',
      // Room to re-hash two of the three images per run: the sample rotates.
      GLIMPSE_AUDIT_BYTES_PER_RUN: String(2 * SIZE),
      // Orphans are removed by the next reaper run after the auditor found them.
      GLIMPSE_ORPHAN_GRACE_HOURS: '0',
    });
    api = stack.api;
    images = api.app.get(ImageRepository);
  });
  after(() => stack?.close());

  const uploaded = async (store: string) => {
    const res = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: member, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
    const { id } = (await res.json()) as { id: string };
    const put = await fetch(`${api.url}/v2/images/${id}/file`, { method: 'PUT', headers: { ...member, 'content-type': 'application/octet-stream', 'x-image-meta-store': store }, body: randomBytes(SIZE) });
    assert.equal(put.status, 204);
    return { id, file: fileURLToPath((await images.findById(id))!.locations[0]!.url) };
  };
  const audit = (ids: string[]) => stack.runSweep('auditor', 'audit', ids);
  /** The bytes the last auditor run planned to re-hash, from the admin listing of runs. */
  const lastRunBytes = async () => {
    const res = await fetch(`${api.url}/v2/admin/maintenance/runs?sweep=auditor&limit=1`, { headers: admin });
    const { runs } = (await res.json()) as { runs: { counts: { bytes: number } | null }[] };
    return runs[0]?.counts?.bytes;
  };
  const locationStatus = async (id: string) => (await images.findById(id))!.locations.map((l) => l.status);

  it('marks a deleted blob missing and a flipped byte as a checksum mismatch (within the rotating budget), leaves good copies alone', async () => {
    const good = await uploaded('a');
    const gone = await uploaded('a');
    const flipped = await uploaded('b');
    rmSync(gone.file);
    const fd = openSync(flipped.file, 'r+');
    writeSync(fd, Buffer.from([0x42]), 0, 1, 1000);
    closeSync(fd);

    // Two runs: the re-hash budget covers two images per run, so the rotation reaches all three.
    await audit([good.id, gone.id, flipped.id]);
    assert.equal(await lastRunBytes(), 2 * SIZE, 'the first run plans exactly two images\' bytes (sizes read with the candidates)');
    await audit([good.id, gone.id, flipped.id]);
    assert.deepEqual(await locationStatus(good.id), ['active']);
    assert.deepEqual(await locationStatus(gone.id), ['bad']);
    assert.deepEqual(await locationStatus(flipped.id), ['bad']);

    const res = await fetch(`${api.url}/v2/admin/maintenance/findings`, { headers: admin });
    assert.equal(res.status, 200);
    const findings = ((await res.json()) as { findings: { image_id: string; store: string; problem: string }[] }).findings;
    assert.equal(findings.find((f) => f.image_id === gone.id)?.problem, 'missing');
    assert.equal(findings.find((f) => f.image_id === gone.id)?.store, 'a');
    assert.equal(findings.find((f) => f.image_id === flipped.id)?.problem, 'checksum mismatch');
    assert.equal(findings.find((f) => f.image_id === good.id), undefined);
    assert.equal((await fetch(`${api.url}/v2/admin/maintenance/findings`, { headers: member })).status, 403);

    // A download no longer serves the corrupt copy: there is no other, so 404 rather than bad bytes.
    assert.equal((await fetch(`${api.url}/v2/images/${flipped.id}/file`, { headers: member })).status, 404);
  });

  it('finds objects no image references; the reaper removes them unless an image came to reference them', async () => {
    const dir = join(stack.config.dataDir, 'stores', 'a');
    const orphan = join(dir, randomUUID());
    const adopted = join(dir, randomUUID());
    writeFileSync(orphan, 'nobody owns me');
    writeFileSync(adopted, 'an upload finishing late');
    await audit([]);
    const findings = ((await (await fetch(`${api.url}/v2/admin/maintenance/findings`, { headers: admin })).json()) as { findings: { image_id: string; problem: string }[] }).findings;
    for (const f of [orphan, adopted]) assert.equal(findings.find((x) => x.image_id === basename(f))?.problem, 'orphan', f);

    // During the grace period an image comes to reference the second file: the reaper must keep it.
    const res = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: member, body: JSON.stringify({ id: basename(adopted), disk_format: 'raw', container_format: 'bare' }) });
    assert.equal(res.status, 201);
    await images.update(basename(adopted), {}, { status: 'active', size: 24, locations: [{ url: pathToFileURL(adopted).href, store: 'a', metadata: {}, status: 'active' }] });
    await stack.runSweep('reaper', 'reap', []);
    assert.ok(!existsSync(orphan), 'the orphan is removed');
    assert.ok(existsSync(adopted), 'a referenced file is kept');
  });
});
