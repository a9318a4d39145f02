import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACK_TO_QUEUED, type Image, type ImageStatus } from '@glimpse/domain';
import { unwound } from './import-owner.js';

const image = (status: ImageStatus) =>
  ({ status, size: 5, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h', virtualSize: 5, locations: [{ url: 'http://x/d', store: 'web', metadata: {}, status: 'active' }] }) as unknown as Image;
const cleared = { size: null, virtualSize: null, checksum: null, osHashAlgo: null, osHashValue: null, locations: [] };

describe('the one "back to queued" rule of a failed import (unwound)', () => {
  it('sends an image the import moved back to queued with every value of the data cleared, its location dropped', () => {
    assert.deepEqual(unwound(image('importing')), { status: 'queued', ...cleared });
    assert.deepEqual(unwound(image('uploading')), { status: 'queued', ...cleared });
    assert.deepEqual({ ...BACK_TO_QUEUED }, { status: 'queued', ...cleared });
  });
  it('kills a v1 copy-from (saving) with the same fields cleared', () => {
    assert.deepEqual(unwound(image('saving')), { status: 'killed', ...cleared });
  });
  it('leaves an image the import did not move (copy-image: active) as it is', () => {
    assert.deepEqual(unwound(image('active')), {});
    assert.deepEqual(unwound(image('queued')), {});
  });
});
