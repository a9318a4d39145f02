import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import type { Image } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';
import { StoreRegistry } from '@glimpse/storage';
import { type MaintenanceStack, startMaintenanceStack } from '../support/maintenance-run.js';
import { type RunningS3, startS3Server } from '../support/s3-server.js';
import { type RunningSwift, startSwift } from '../support/swift-server.js';

const admin = { accept: 'application/json', 'content-type': 'application/json', 'x-project-id': 'padmin', 'x-roles': 'admin' };
const MiB = 1 << 20;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('replicator between file, S3 and Swift stores: copies placed by policy, each verified, a broken one repaired', () => {
  let swift: RunningSwift;
  let s3: RunningS3;
  let stack: MaintenanceStack;
  let images: ImageRepository;

  before(async () => {
    [swift, s3] = await Promise.all([startSwift(), startS3Server()]);
    const stores = [{ id: 'local', type: 'file' }, s3.storeEntry('objects', { part_size_mb: 5 }), swift.storeEntry('swift', { large_object_size: MiB, segment_size: MiB })];
    stack = await startMaintenanceStack({
      GLIMPSE_STORES: JSON.stringify(stores),
      GLIMPSE_DEFAULT_STORE: 'swift',
      GLIMPSE_REPLICATION_POLICY: 'public=swift,local,objects',
      GLIMPSE_AUDIT_BYTES_PER_RUN: String(1024 ** 3),
    });
    images = stack.api.app.get(ImageRepository);
  });
  after(async () => {
    await stack?.close();
    await s3?.close();
    await swift?.close();
  });

  const copies = (image: Image) => image.locations.map((l) => `${l.store}:${l.status}`).sort();
  const settled = async (id: string, expected: string[]) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const image = (await images.findById(id))!;
      if (!image.properties.os_glance_import_task && JSON.stringify(copies(image)) === JSON.stringify(expected)) return image;
      if (Date.now() > deadline) assert.fail(`image ${id}: copies ${copies(image).join(' ')}; expected ${expected.join(' ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  /** The digest of the copy in each store, read back through the stores. */
  const digests = async (image: Image) => {
    const registry = stack.api.app.get(StoreRegistry);
    const out: Record<string, string> = {};
    for (const l of image.locations) out[l.store] = sha(await buffer(await registry.find(l.store)!.get(l.url, undefined, { size: image.size })));
    return out;
  };

  const all = ['local:active', 'objects:active', 'swift:active'];

  for (const from of ['swift', 'local', 'objects'] as const) {
    it(`an image uploaded to ${from} is copied to the other two stores, each copy the same bytes`, async () => {
      const res = await fetch(`${stack.api.url}/v2/images`, { method: 'POST', headers: admin, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare', visibility: 'public' }) });
      const { id } = (await res.json()) as { id: string };
      const data = randomBytes(3 * MiB + 5);
      const put = await fetch(`${stack.api.url}/v2/images/${id}/file`, { method: 'PUT', headers: { ...admin, 'content-type': 'application/octet-stream', 'x-image-meta-store': from }, body: data });
      assert.equal(put.status, 204);
      await stack.runSweep('replicator', 'replicate', [id]);
      const image = await settled(id, all);
      assert.deepEqual(await digests(image), { local: sha(data), objects: sha(data), swift: sha(data) });
      assert.equal((await swift.names('glance', id)).length, 5, 'a DLO: manifest and four segments');
    });
  }

  it('a Swift segment deleted behind the service: the auditor marks the copy bad, the replicator rewrites it', async () => {
    const [image] = (await images.findByIds((await swift.names('glance')).filter((n) => !n.includes('-0000')))).filter((i) => i.locations.length === 3);
    assert.ok(image, 'an image with three copies');
    assert.equal((await swift.raw('DELETE', `/glance/${image.id}-00002`)).status, 204);
    await stack.runSweep('auditor', 'audit', [image.id]);
    const repaired = await settled(image.id, all);
    const expected = (await digests({ ...repaired, locations: repaired.locations.filter((l) => l.store === 'local') })).local!;
    assert.deepEqual(await digests(repaired), { local: expected, objects: expected, swift: expected });
    assert.equal((await swift.names('glance', image.id)).length, 5);
  });
});
