import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertTransition, canTransition, IMAGE_STATUSES, type ImageStatus } from './image-status.js';

/** Glance's valid_state_targets (reference §2), written out independently of the table under test. */
const GLANCE: Record<ImageStatus, ImageStatus[]> = {
  queued: ['saving', 'uploading', 'importing', 'active', 'deleted'],
  saving: ['active', 'killed', 'deleted', 'queued'],
  uploading: ['importing', 'queued', 'deleted'],
  importing: ['active', 'queued', 'deleted'],
  active: ['pending_delete', 'deleted', 'deactivated'],
  deactivated: ['active', 'deleted'],
  killed: ['deleted'],
  pending_delete: ['deleted', 'active'],
  deleted: [],
};

describe('image status machine', () => {
  it('knows the nine statuses', () => {
    assert.deepEqual([...IMAGE_STATUSES].sort(), Object.keys(GLANCE).sort());
  });

  for (const from of Object.keys(GLANCE) as ImageStatus[]) {
    it(`from ${from}: allows exactly Glance's targets, refuses every other with 409 words`, () => {
      for (const to of IMAGE_STATUSES) {
        const allowed = GLANCE[from].includes(to);
        assert.equal(canTransition(from, to), allowed, `${from} → ${to}`);
        if (allowed) assert.doesNotThrow(() => assertTransition(from, to));
        else assert.throws(() => assertTransition(from, to), new RegExp(`Image status transition from ${from} to ${to} is not allowed`));
      }
    });
  }
});
