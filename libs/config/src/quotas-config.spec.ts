import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './load-config.js';
import { limitsOf } from './quotas-config.js';

describe('quota configuration', () => {
  it('is off, and unlimited, when nothing is set', () => {
    const { quotas } = loadConfig({});
    assert.equal(quotas.enabled, false);
    assert.deepEqual(limitsOf(quotas, 'p'), { image_size_total: -1, image_stage_total: -1, image_count_total: -1, image_count_uploading: -1 });
  });

  it('lays per-project overrides over the defaults', () => {
    const { quotas } = loadConfig({ GLIMPSE_QUOTA_IMAGE_COUNT_TOTAL: '10', GLIMPSE_QUOTA_PROJECTS: '{"big": {"image_count_total": 100, "image_size_total": 5}}' });
    assert.equal(quotas.enabled, true);
    assert.deepEqual(limitsOf(quotas, 'big'), { image_size_total: 5, image_stage_total: -1, image_count_total: 100, image_count_uploading: -1 });
    assert.equal(limitsOf(quotas, 'small').image_count_total, 10);
  });

  it('refuses bad values naming the variable', () => {
    assert.throws(() => loadConfig({ GLIMPSE_QUOTA_IMAGE_SIZE_TOTAL: '-2' }), /GLIMPSE_QUOTA_IMAGE_SIZE_TOTAL/);
    assert.throws(() => loadConfig({ GLIMPSE_QUOTA_PROJECTS: '{"p": {"image_total": 1}}' }), /GLIMPSE_QUOTA_PROJECTS: project p: unknown limit image_total/);
    assert.throws(() => loadConfig({ GLIMPSE_QUOTA_PROJECTS: '[1]' }), /GLIMPSE_QUOTA_PROJECTS/);
  });
});
