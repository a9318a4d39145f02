import assert from 'node:assert/strict';
import { describe as suite, it } from 'node:test';
import type { ImageDoc } from './glance-client.js';
import { createBody, describe, differences, patchFor } from './image-diff.js';
import { humanSize } from './size.js';

const image = (over: Record<string, unknown> = {}): ImageDoc => ({
  id: '6f1c1f4e-58a4-4b7b-9a7e-0d8d2f1f0a01',
  status: 'active',
  name: 'cirros',
  disk_format: 'qcow2',
  container_format: 'bare',
  visibility: 'private',
  protected: false,
  os_hidden: false,
  min_ram: 0,
  min_disk: 0,
  owner: 'p1',
  tags: ['a', 'b'],
  checksum: 'c'.repeat(32),
  size: 10,
  os_hash_algo: 'sha512',
  os_hash_value: 'h'.repeat(128),
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  self: '/v2/images/x',
  stores: 'local',
  os_distro: 'cirros',
  ...over,
});

suite('image-diff', () => {
  it('ignores timestamps, stores, status links and tag order', () => {
    assert.deepEqual(differences(image(), image({ created_at: 'later', updated_at: 'later', stores: 'other', tags: ['b', 'a'], os_glance_x: 'y' })), []);
  });

  it('classifies data, format, metadata and custom property differences', () => {
    const diffs = differences(image(), image({ checksum: 'd'.repeat(32), disk_format: 'raw', name: 'other', os_distro: undefined, extra: 'x' }));
    assert.deepEqual(
      diffs.map((d) => [d.field, d.kind]),
      [['checksum', 'data'], ['disk_format', 'format'], ['name', 'metadata'], ['extra', 'metadata'], ['os_distro', 'metadata']],
    );
    assert.equal(describe('id1', diffs[2]!), 'id1: name differs: source "cirros", target "other"');
    assert.deepEqual(patchFor(diffs), [
      { op: 'replace', path: '/disk_format', value: 'qcow2' },
      { op: 'replace', path: '/name', value: 'cirros' },
      { op: 'remove', path: '/extra' },
      { op: 'add', path: '/os_distro', value: 'cirros' },
    ]);
  });

  it('compares os_hash_value only between digests of the same algorithm', () => {
    assert.deepEqual(differences(image(), image({ os_hash_algo: 'sha256', os_hash_value: 'e'.repeat(64) })), []);
    assert.deepEqual(differences(image(), image({ os_hash_value: 'e'.repeat(128) })).map((d) => d.field), ['os_hash_value']);
  });

  it('builds a create body with the id and settable attributes only', () => {
    const body = createBody(image());
    assert.equal(body.id, image().id);
    assert.equal(body.os_distro, 'cirros');
    for (const key of ['status', 'checksum', 'size', 'os_hash_value', 'created_at', 'self', 'stores']) assert.ok(!(key in body), key);
  });

  it('prints sizes in binary units', () => {
    assert.equal(humanSize(512), '512 bytes');
    assert.equal(humanSize(3 * 1024 * 1024), '3.0 MiB');
    assert.equal(humanSize(1536), '1.5 KiB');
  });
});
