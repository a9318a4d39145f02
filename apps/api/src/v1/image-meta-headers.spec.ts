import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GlimpseError, type Image } from '@glimpse/domain';
import { headerSafe, imageMetaHeaders, parseImageMeta, percentDecode } from './image-meta-headers.js';
import { v1BriefView, v1ImageView, v1Time } from './v1-image-view.js';

const refusal = (fn: () => unknown): [string, string] | 'none' => {
  try {
    fn();
  } catch (err) {
    if (err instanceof GlimpseError) return [err.kind, err.message];
    throw err;
  }
  return 'none';
};

const image = (over: Partial<Image> = {}): Image => ({
  id: '6b3ecfca-d445-4946-a8d1-c4938352b251',
  name: 'cirros',
  status: 'active',
  visibility: 'public',
  protected: false,
  osHidden: false,
  checksum: '22c3683b094136c3398391ae71b20f04',
  osHashAlgo: 'sha512',
  osHashValue: 'ab'.repeat(64),
  owner: 'c60b1d57c5034e0d86902aedf8c49be0',
  size: 13,
  virtualSize: null,
  minDisk: 0,
  minRam: 0,
  containerFormat: 'bare',
  diskFormat: 'qcow2',
  createdAt: new Date('2016-05-10T21:35:15Z'),
  updatedAt: new Date('2016-05-10T21:41:41Z'),
  deletedAt: null,
  tags: ['t'],
  properties: { os_distro: 'cirros', os_glance_import_task: 'task-1', os_glance_failed_import: '' },
  locations: [{ url: 'file:///secret/path', store: 'local', metadata: {}, status: 'active' }],
  rev: 3,
  ...over,
});

describe('v1 header codec: input', () => {
  it('reads glanceclient 4.1.0 image-create headers, percent-decoded, property names normalised', () => {
    const meta = parseImageMeta({
      'x-image-meta-name': 'My%20Image',
      'x-image-meta-disk_format': 'qcow2',
      'x-image-meta-container-format': 'bare',
      'x-image-meta-is_public': 'None',
      'x-image-meta-property-os_distro': 'cirros',
      'x-image-meta-property-foo-bar': 'x%C3%A9',
      'x-image-meta-id': '11111111-2222-3333-4444-555555555555',
      'x-image-meta-min_ram': '512',
      'x-image-meta-min_disk': '1',
      'x-image-meta-checksum': '22c3683b094136c3398391ae71b20f04',
      'x-image-meta-protected': 'True',
      'x-image-meta-size': '13',
      'x-image-meta-owner': '',
      'x-image-meta-property-empty': '',
      'x-glance-api-copy-from': 'http%3A//example.com/cirros.img',
      'x-glance-registry-purge-props': 'false',
      'content-type': 'application/octet-stream',
    });
    assert.deepEqual({ ...meta, properties: { ...meta.properties } }, {
      name: 'My Image',
      diskFormat: 'qcow2',
      containerFormat: 'bare',
      isPublic: false,
      id: '11111111-2222-3333-4444-555555555555',
      minRam: 512,
      minDisk: 1,
      checksum: '22c3683b094136c3398391ae71b20f04',
      protected: true,
      size: 13,
      owner: null,
      properties: { os_distro: 'cirros', foo_bar: 'xé', empty: null },
      copyFrom: 'http://example.com/cirros.img',
      purgeProps: false,
    });
  });

  it('parses is_public and purge-props loosely: 1 t true on y yes are true, anything else false', () => {
    for (const v of ['1', 't', 'TRUE', 'On', 'y', 'yes']) assert.equal(parseImageMeta({ 'x-image-meta-is_public': v }).isPublic, true, v);
    for (const v of ['0', 'None', 'false', 'nope', '']) assert.equal(parseImageMeta({ 'x-image-meta-is_public': v }).isPublic, false, v);
    assert.equal(parseImageMeta({ 'x-glance-registry-purge-props': 'True' }).purgeProps, true);
    assert.equal(parseImageMeta({}).purgeProps, undefined);
  });

  it('accepts and ignores the names that never had an effect (replicator headers)', () => {
    const meta = parseImageMeta({
      'x-image-meta-deleted': 'False', 'x-image-meta-virtual_size': '5', 'x-image-meta-created_at': 'x', 'x-image-meta-updated_at': 'x',
      'x-image-meta-deleted_at': '', 'x-image-meta-copy_from': 'http://x', 'x-image-meta-uri': 'y', 'x-image-meta-status': 'active',
    });
    assert.deepEqual({ ...meta, properties: { ...meta.properties } }, { status: 'active', properties: {} });
  });

  it('refuses unknown headers, bad values and os_glance_* properties with 400/403 in Glance words', () => {
    assert.deepEqual(refusal(() => parseImageMeta({ 'x-image-meta-colour': 'red' })), ['invalid', 'Bad header: x-image-meta-colour']);
    assert.deepEqual(refusal(() => parseImageMeta({ 'x-image-meta-disk_format': 'floppy' })), ['invalid', "Invalid disk format 'floppy' for image."]);
    assert.deepEqual(refusal(() => parseImageMeta({ 'x-image-meta-container_format': 'box' })), ['invalid', "Invalid container format 'box' for image."]);
    assert.deepEqual(refusal(() => parseImageMeta({ 'x-image-meta-name': 'n'.repeat(256) })), ['invalid', 'Image name too long: 256']);
    assert.match(refusal(() => parseImageMeta({ 'x-image-meta-id': 'not-a-uuid' }))[1]!, /Invalid image id format/);
    for (const [h, v] of [['size', '-1'], ['size', 'ten'], ['min_ram', String(2 ** 31)], ['min_disk', '1.5']]) {
      assert.equal(refusal(() => parseImageMeta({ [`x-image-meta-${h}`]: v }))[0], 'invalid', `${h}=${v}`);
    }
    assert.equal(refusal(() => parseImageMeta({ 'x-image-meta-checksum': 'a'.repeat(33) }))[0], 'invalid');
    assert.equal(refusal(() => parseImageMeta({ 'x-image-meta-property-os_glance_import_task': 'x' }))[0], 'forbidden');
    assert.equal(refusal(() => parseImageMeta({ 'x-image-meta-property-OS-Glance-x': 'x' }))[0], 'forbidden');
  });

  it('percent-decodes bytes once; a stray % stays', () => {
    assert.equal(percentDecode('100%25'), '100%');
    assert.equal(percentDecode('50%'), '50%');
    assert.equal(percentDecode('%zz%4'), '%zz%4');
    assert.equal(percentDecode('%E6%97%A5'), '日');
  });
});

describe('v1 header codec: output', () => {
  it('writes the reference HEAD headers: nulls omitted, True/False, v1 times, no location, no os_glance_*', () => {
    const headers = Object.fromEntries(imageMetaHeaders(image()));
    assert.deepEqual(headers, {
      'x-image-meta-id': '6b3ecfca-d445-4946-a8d1-c4938352b251',
      'x-image-meta-name': 'cirros',
      'x-image-meta-status': 'active',
      'x-image-meta-size': '13',
      'x-image-meta-checksum': '22c3683b094136c3398391ae71b20f04',
      'x-image-meta-disk_format': 'qcow2',
      'x-image-meta-container_format': 'bare',
      'x-image-meta-is_public': 'True',
      'x-image-meta-protected': 'False',
      'x-image-meta-min_ram': '0',
      'x-image-meta-min_disk': '0',
      'x-image-meta-owner': 'c60b1d57c5034e0d86902aedf8c49be0',
      'x-image-meta-created_at': '2016-05-10T21:35:15.000000',
      'x-image-meta-updated_at': '2016-05-10T21:41:41.000000',
      'x-image-meta-deleted': 'False',
      'x-image-meta-property-os_distro': 'cirros',
    });
  });

  it('shows a deleted image as deleted with its deleted_at; a reserved one without size or checksum', () => {
    const deleted = Object.fromEntries(imageMetaHeaders(image({ status: 'pending_delete', deletedAt: new Date('2016-05-11T00:00:00Z') })));
    assert.equal(deleted['x-image-meta-deleted'], 'True');
    assert.equal(deleted['x-image-meta-deleted_at'], '2016-05-11T00:00:00.000000');
    const queued = Object.fromEntries(imageMetaHeaders(image({ status: 'queued', size: null, checksum: null, name: null })));
    for (const k of ['x-image-meta-size', 'x-image-meta-checksum', 'x-image-meta-name']) assert.equal(queued[k], undefined, k);
  });

  it('never writes CR, LF or non-ASCII into a header: values and names percent-encoded, every header valid', async () => {
    const { validateHeaderName, validateHeaderValue } = await import('node:http');
    const nasty = image({ name: 'a\r\nSet-Cookie: x=1', properties: { 'key with space:\n': 'v\u00e9\u65e5\r', Upper: 'Ok' } });
    const headers = imageMetaHeaders(nasty);
    for (const [k, v] of headers) {
      assert.doesNotThrow(() => validateHeaderName(k), k);
      assert.doesNotThrow(() => validateHeaderValue(k, v), v);
      assert.doesNotMatch(v, /[\r\n]/);
    }
    const byName = Object.fromEntries(headers);
    assert.equal(byName['x-image-meta-name'], 'a%0D%0ASet-Cookie: x=1');
    assert.equal(byName['x-image-meta-property-key%20with%20space%3A%0A'], 'v%C3%A9%E6%97%A5%0D');
    assert.equal(byName['x-image-meta-property-upper'], 'Ok');
    assert.equal(headerSafe('plain ascii ~'), 'plain ascii ~');
  });
});

describe('v1 JSON views', () => {
  it('has exactly the 18 keys, size 0 when reserved, no v2-only keys or locations', () => {
    const view = v1ImageView(image({ status: 'queued', size: null, checksum: null }));
    assert.deepEqual(Object.keys(view).sort(), [
      'checksum', 'container_format', 'created_at', 'deleted', 'deleted_at', 'disk_format', 'id', 'is_public', 'min_disk', 'min_ram',
      'name', 'owner', 'properties', 'protected', 'size', 'status', 'updated_at', 'virtual_size',
    ]);
    assert.equal(view.size, 0);
    assert.equal(view.is_public, true);
    assert.equal(view.created_at, '2016-05-10T21:35:15.000000');
    assert.deepEqual(view.properties, { os_distro: 'cirros' });
    assert.doesNotMatch(JSON.stringify(view), /secret|os_glance|sha512|tags/);
    assert.deepEqual(Object.keys(v1BriefView(image())), ['id', 'name', 'disk_format', 'container_format', 'checksum', 'size']);
    assert.equal(v1Time(new Date('2020-01-02T03:04:05.678Z')), '2020-01-02T03:04:05.678000');
  });
});
