import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noUsage, shareOf, usageOfRecord } from './quota-usage.js';

describe('quota usage of an image', () => {
  it('counts a record by its status, its size once per location, and staged bytes while staged', () => {
    assert.deepEqual(usageOfRecord({ status: 'active', size: 10, locations: [{}, {}] }), {
      image_size_total: 20,
      image_stage_total: 0,
      image_count_total: 1,
      image_count_uploading: 0,
    });
    assert.deepEqual(usageOfRecord({ status: 'uploading', size: 7 }), { image_size_total: 0, image_stage_total: 7, image_count_total: 1, image_count_uploading: 1 });
    assert.deepEqual(usageOfRecord({ status: 'pending_delete', size: 7, locations: [{}] }), noUsage());
  });

  it('counts the larger of record and holds, so an upload does not count twice while its record catches up', () => {
    const held = { ...noUsage(), image_count_uploading: 1, image_size_total: 50 };
    const saving = usageOfRecord({ status: 'saving', size: null });
    assert.deepEqual(shareOf({ recorded: saving, held }), { image_size_total: 50, image_stage_total: 0, image_count_total: 1, image_count_uploading: 1 });
    const active = usageOfRecord({ status: 'active', size: 40, locations: [{}] });
    assert.deepEqual(shareOf({ recorded: active, held }), { image_size_total: 50, image_stage_total: 0, image_count_total: 1, image_count_uploading: 1 });
  });
});
