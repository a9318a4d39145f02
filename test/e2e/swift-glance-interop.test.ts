import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ImageRepository } from '@glimpse/persistence';
import { type RunningGlance, startGlanceSwift } from '../support/glance-swift.js';
import { type MaintenanceStack, startMaintenanceStack } from '../support/maintenance-run.js';
import { type RunningSwift, startSwift } from '../support/swift-server.js';

const admin = { accept: 'application/json', 'content-type': 'application/json', 'x-project-id': 'padmin', 'x-roles': 'admin' };
const member = { ...admin, 'x-project-id': 'pa', 'x-roles': 'member' };
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('the real Glance 25.1 and Glimpse on the same Swift: each registers, reads and deletes what the other wrote', () => {
  let swift: RunningSwift;
  let stack: MaintenanceStack;
  const glances: RunningGlance[] = [];

  before(async () => {
    swift = await startSwift();
    // Glance's MB are 1,024,000 bytes: a 3 MiB image becomes four segments and a DLO manifest.
    const settings = { GLANCE_SWIFT_LARGE_MB: '1', GLANCE_SWIFT_CHUNK_MB: '1' };
    glances.push(await startGlanceSwift(swift, { ...settings, GLANCE_SWIFT_CONFIG_FILE: '1' }));
    glances.push(await startGlanceSwift(swift, { ...settings, GLANCE_SWIFT_CONFIG_FILE: '0' }));
    // The Glimpse store names the account as Glance's swift_store_config_file does (reference ref1).
    // Segments of 1 MiB from 1 MiB on, so what Glimpse writes for Glance is a manifest and segments too.
    const entry = swift.storeEntry('swift', { reference: 'ref1', large_object_size: 1 << 20, segment_size: 1 << 20 });
    stack = await startMaintenanceStack({ GLIMPSE_STORES: JSON.stringify([entry]) });
  });
  after(async () => {
    await stack?.close();
    for (const g of glances) await g.close();
    await swift?.close();
  });

  /** Registers Glance's image under the same id in Glimpse by its location; waits until the checksum job passed. */
  const adopt = async (glance: { id: string; location: string; osHashValue: string }) => {
    const created = await fetch(`${stack.api.url}/v2/images`, { method: 'POST', headers: admin, body: JSON.stringify({ id: glance.id, disk_format: 'raw', container_format: 'bare', visibility: 'public' }) });
    assert.equal(created.status, 201);
    const res = await fetch(`${stack.api.url}/v2/images/${glance.id}/locations`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ url: glance.location, validation_data: { os_hash_algo: 'sha512', os_hash_value: glance.osHashValue } }),
    });
    assert.equal(res.status, 202, await res.text());
    for (let i = 0; i < 600; i++) {
      const image = (await (await fetch(`${stack.api.url}/v2/images/${glance.id}`, { headers: admin })).json()) as Record<string, unknown>;
      if (image.status === 'active') return image;
      assert.equal(image.status, 'importing', JSON.stringify(image));
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('never active');
  };

  for (const [form, index, pattern] of [
    ['swift+config://ref1/… (swift_store_config_file)', 0, /^swift\+config:\/\/ref1\/glance\//],
    ['swift+http://user:key@… (inline credentials)', 1, /^swift\+http:\/\/glimpse%3Aglimpse:[0-9a-f]+@127\.0\.0\.1:\d+\/auth\/v1\.0\/glance\//],
  ] as const) {
    it(`${form}: registered credential-free, downloaded byte-identical (whole and a range), deleted with its segments`, async () => {
      const bytes = randomBytes(3 * (1 << 20));
      const written = await glances[index]!.upload(bytes);
      assert.match(written.location, pattern);
      assert.equal(written.checksum, md5(bytes));
      assert.equal((await swift.names('glance', written.id)).length, 5, "Glance's manifest and four segments");

      const image = await adopt(written);
      assert.deepEqual([image.size, image.checksum], [bytes.length, written.checksum]);
      const record = await stack.api.app.get(ImageRepository).findById(written.id);
      assert.deepEqual(record!.locations.map((l) => [l.url, l.store]), [[`swift+config://ref1/glance/${written.id}`, 'swift']], 'no key in the recorded location');
      assert.ok(!JSON.stringify(record).includes(swift.key));

      const whole = await fetch(`${stack.api.url}/v2/images/${written.id}/file`, { headers: member });
      assert.equal(whole.status, 200);
      assert.ok(Buffer.from(await whole.arrayBuffer()).equals(bytes));
      const from = 1_024_000 - 5;
      const ranged = await fetch(`${stack.api.url}/v2/images/${written.id}/file`, { headers: { ...member, range: `bytes=${from}-${from + 9}` } });
      assert.equal(ranged.status, 206, 'Glance answers 400 here; Swift serves the range');
      assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(from, from + 10)));

      // The auditor sees it as the image's own (not an orphan), and the reaper deletes it with every segment.
      await stack.runSweep('auditor', 'audit', [written.id]);
      const findings = ((await (await fetch(`${stack.api.url}/v2/admin/maintenance/findings`, { headers: admin })).json()) as { findings: { image_id: string }[] }).findings;
      assert.ok(!findings.some((f) => f.image_id.startsWith(written.id)), JSON.stringify(findings));
      assert.equal((await fetch(`${stack.api.url}/v2/images/${written.id}`, { method: 'DELETE', headers: admin })).status, 204);
      await stack.runSweep('reaper', 'reap', [written.id]);
      assert.deepEqual(await swift.names('glance', written.id), []);
    });
  }

  it("Glance registers an image Glimpse wrote by its swift+http://user:key@ location, serves it byte-identical, and its delete removes the manifest and segments", async () => {
    const bytes = randomBytes(3 * (1 << 20) + 7);
    const created = await fetch(`${stack.api.url}/v2/images`, { method: 'POST', headers: admin, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare', visibility: 'public' }) });
    const { id } = (await created.json()) as { id: string };
    const put = await fetch(`${stack.api.url}/v2/images/${id}/file`, { method: 'PUT', headers: { ...admin, 'content-type': 'application/octet-stream' }, body: bytes });
    assert.equal(put.status, 204, await put.text());
    const image = (await (await fetch(`${stack.api.url}/v2/images/${id}`, { headers: admin })).json()) as { checksum: string; os_hash_algo: string; os_hash_value: string };
    assert.equal(image.checksum, md5(bytes));
    assert.equal((await swift.names('glance', id)).length, 5, "Glimpse's manifest and four segments");
    const validation = { checksum: image.checksum, os_hash_algo: image.os_hash_algo, os_hash_value: image.os_hash_value };

    const inline = swift.authUrl.replace(/^http:\/\//, `swift+http://${encodeURIComponent(swift.user)}:${swift.key}@`) + `/glance/${id}`;
    // A Glance with swift_store_config_file takes neither form from a client: swift+config:// is a restricted
    // scheme, and a multi-store Glance matches a location to its store by the prefix it writes (swift+config://ref1/glance/).
    for (const url of [`swift+config://ref1/glance/${id}`, inline]) {
      const refused = await glances[0]!.register(url, validation);
      assert.equal(refused.status, 400, refused.text);
    }
    // A Glance with the inline credentials takes the location in its own form (user URL-quoted, as it writes it).
    const got = await glances[1]!.register(inline, validation);
    assert.equal(got.status, 200, got.text);
    assert.deepEqual([got.image!.status, got.image!.size, got.image!.checksum, got.image!.os_hash_value], ['active', bytes.length, image.checksum, image.os_hash_value]);
    const read = await glances[1]!.download(got.image!.id);
    assert.equal(read.status, 200);
    assert.ok(read.bytes.equals(bytes), 'Glance serves the bytes Glimpse wrote');
    const ours = await fetch(`${stack.api.url}/v2/images/${id}/file`, { headers: member });
    assert.ok(Buffer.from(await ours.arrayBuffer()).equals(bytes), 'and Glimpse still does');
    // Glance's delete understands Glimpse's layout: the manifest and every segment go.
    assert.equal(await glances[1]!.remove(got.image!.id), 204);
    assert.deepEqual(await swift.names('glance', id), []);
    assert.equal((await fetch(`${stack.api.url}/v2/images/${id}`, { method: 'DELETE', headers: admin })).status, 204);
  });

  it('refuses a Swift location from a member, one named by another image id, and one of another host', async () => {
    const created = await fetch(`${stack.api.url}/v2/images`, { method: 'POST', headers: member, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
    const { id } = (await created.json()) as { id: string };
    const add = (url: string, headers = admin) => fetch(`${stack.api.url}/v2/images/${id}/locations`, { method: 'POST', headers, body: JSON.stringify({ url }) });
    assert.equal((await add(`swift+config://ref1/glance/${id}`, member)).status, 403);
    const other = await add('swift+config://ref1/glance/00000000-0000-4000-8000-000000000000');
    assert.equal(other.status, 400);
    assert.match(await other.text(), /register it under that image id/);
    assert.equal((await add(`swift+http://u:k@203.0.113.5/auth/v1.0/glance/${id}`)).status, 400);
  });
});
