import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageContainer, segmentName, segmentOwner } from './swift-names.js';
import { redact } from '@glimpse/web-download';
import { parseSwiftLocation, swiftConfigLocation } from './swift-location.js';

const id = '62e1a3b4-0c1d-4e2f-8a9b-0123456789ab';

describe('Swift locations: every form Glance writes', () => {
  it('swift+config://<reference>/<container>/<object> (what Glimpse writes, no secret)', () => {
    assert.deepEqual(parseSwiftLocation(`swift+config://ref1/glance/${id}`), { kind: 'config', reference: 'ref1', container: 'glance', object: id });
    assert.equal(swiftConfigLocation('ref1', 'glance_62e', id), `swift+config://ref1/glance_62e/${id}`);
  });

  it('inline credentials: the user may hold colons, the key follows the last one; URL-quoted; scheme picks http(s)', () => {
    assert.deepEqual(parseSwiftLocation(`swift+http://glimpse%3Aglimpse:s3cr%40t@127.0.0.1:8080/auth/v1.0/glance/${id}`), {
      kind: 'auth',
      authUrl: 'http://127.0.0.1:8080/auth/v1.0',
      user: 'glimpse:glimpse',
      key: 's3cr@t',
      container: 'glance',
      object: id,
    });
    const v3 = parseSwiftLocation(`swift+https://project:user:key@keystone.example/v3/glance/${id}`);
    assert.deepEqual(v3, { kind: 'auth', authUrl: 'https://keystone.example/v3', user: 'project:user', key: 'key', container: 'glance', object: id });
    assert.equal((parseSwiftLocation(`swift://a:b:c@keystone.example:5000/v3/glance/${id}`) as { authUrl: string }).authUrl, 'https://keystone.example:5000/v3');
  });

  it('without credentials: the storage URL of the account (multi-tenant)', () => {
    assert.deepEqual(parseSwiftLocation(`swift+https://swift.example/v1/AUTH_p1/glance_${id}/${id}`), {
      kind: 'storage',
      storageUrl: 'https://swift.example/v1/AUTH_p1',
      container: `glance_${id}`,
      object: id,
    });
  });

  it('refuses what Glance refuses: two "://", badly formed credentials, no container, other schemes', () => {
    assert.throws(() => parseSwiftLocation(`swift+http://u:k@host/auth/http://evil/glance/${id}`), /second ":\/\/"/);
    assert.throws(() => parseSwiftLocation(`swift+http://nokey@host/auth/glance/${id}`), /badly formed credentials/);
    assert.throws(() => parseSwiftLocation(`swift+config://ref/${id}`), /container/);
    assert.throws(() => parseSwiftLocation(`s3://bucket/${id}`), /scheme/);
  });

  it('messages never carry the key', () => {
    assert.equal(redact(`swift+http://user:supersecret@host/auth/v1.0/glance/${id}`), `swift+http://***@host/auth/v1.0/glance/${id}`);
    assert.throws(() => parseSwiftLocation('swift+http://user:supersecret@host/x'), (err: Error) => !err.message.includes('supersecret'));
  });
});

describe("Glance's Swift names", () => {
  it('segments <name>-00001 …; a UUID (even one ending in twelve digits) is an image, not a segment', () => {
    assert.equal(segmentName(id, 1), `${id}-00001`);
    assert.equal(segmentName(id, 123456), `${id}-123456`);
    assert.equal(segmentOwner(`${id}-00042`), id);
    assert.equal(segmentOwner(id), null);
    assert.equal(segmentOwner('62e1a3b4-0c1d-4e2f-8a9b-012345678901'), null);
    assert.equal(segmentOwner('image-1234'), null, 'four digits are not a segment number');
  });

  it('multiple containers: the first N characters of the lower-cased id, dashes kept but not counted', () => {
    assert.equal(imageContainer('glance', 0, id), 'glance');
    assert.equal(imageContainer('glance', 3, id.toUpperCase()), 'glance_62e');
    assert.equal(imageContainer('glance', 9, id), 'glance_62e1a3b4-0', 'nine characters and the dash among them');
    assert.equal(imageContainer('glance', 32, id), `glance_${id.slice(0, 36)}`);
  });
});
