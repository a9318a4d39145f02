import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { createImage, octet, send, showImage } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const as = (project: string) => ({ accept: 'application/json', 'x-project-id': project, 'x-user-id': `u-${project}`, 'x-roles': 'member' });
const PATCH = 'application/openstack-images-v2.1-json-patch';

/** Contention is never the client's problem: concurrent writers of one record all succeed, as Glance serialises them. */
describe('concurrent writers of one record', () => {
  const config = testConfig({ GLIMPSE_QUOTA_PROJECTS: JSON.stringify({ counted: { image_count_total: 5 } }) });
  let api: RunningApi;
  before(async () => (api = await startApi(config)));
  after(() => api.close());

  const call = (method: string, path: string, project: string, body?: unknown, type = 'application/json') =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { ...as(project), 'content-type': type },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, text: await res.text() }));

  it('16 concurrent PATCHes of distinct properties all answer 200 and all 16 properties are kept', async () => {
    const id = await createImage(api.url, as('writers'));
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => call('PATCH', `/v2/images/${id}`, 'writers', [{ op: 'add', path: `/prop_${i}`, value: `v${i}` }], PATCH)),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(16).fill(200),
      answers.map((a) => a.text).join('\n'),
    );
    const image = await showImage(api.url, id, as('writers'));
    for (let i = 0; i < 16; i++) assert.equal(image[`prop_${i}`], `v${i}`, `prop_${i} of ${JSON.stringify(image)}`);
  });

  it('PATCHes, tag PUTs, name replaces and deactivate/reactivate racing on one image all succeed and all stick', async () => {
    const id = await createImage(api.url, as('mixed'));
    assert.equal((await send(`${api.url}/v2/images/${id}/file`, 'PUT', octet(as('mixed')), Buffer.from('some bytes'))).status, 204);
    const writes = [
      ...Array.from({ length: 6 }, (_, i) => call('PATCH', `/v2/images/${id}`, 'mixed', [{ op: 'add', path: `/p${i}`, value: 'x' }], PATCH)),
      ...Array.from({ length: 6 }, (_, i) => call('PUT', `/v2/images/${id}/tags/t${i}`, 'mixed')),
      ...Array.from({ length: 4 }, (_, i) => call('PATCH', `/v2/images/${id}`, 'mixed', [{ op: 'replace', path: '/name', value: `n${i}` }], PATCH)),
      ...Array.from({ length: 3 }, () => call('POST', `/v2/images/${id}/actions/deactivate`, 'mixed')),
      ...Array.from({ length: 3 }, () => call('POST', `/v2/images/${id}/actions/reactivate`, 'mixed')),
    ];
    const answers = await Promise.all(writes);
    const statuses = answers.map((a) => a.status);
    assert.ok(
      statuses.every((s) => s === 200 || s === 204),
      `${statuses.join(',')}\n${answers.filter((a) => a.status >= 300).map((a) => a.text).join('\n')}`,
    );
    const image = await showImage(api.url, id, as('mixed'));
    for (let i = 0; i < 6; i++) assert.equal(image[`p${i}`], 'x');
    assert.deepEqual([...(image.tags as string[])].sort(), ['t0', 't1', 't2', 't3', 't4', 't5']);
    assert.match(String(image.name), /^n[0-3]$/);
    assert.ok(['active', 'deactivated'].includes(String(image.status)));
  });

  it('writers in two API processes on one database: 16 concurrent PATCHes all answer 200 and all are kept', async () => {
    // A second app has its own turns, so the two race for the records in the database, as two replicas do.
    const second = await startApi({ ...config, dataDir: config.dataDir });
    try {
      const id = await createImage(api.url, as('replicas'));
      const answers = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          fetch(`${(i % 2 ? second : api).url}/v2/images/${id}`, {
            method: 'PATCH',
            headers: { ...as('replicas'), 'content-type': PATCH },
            body: JSON.stringify([{ op: 'add', path: `/prop_${i}`, value: `v${i}` }]),
          }).then(async (res) => ({ status: res.status, text: await res.text() })),
        ),
      );
      assert.deepEqual(answers.map((a) => a.status), Array(16).fill(200), answers.map((a) => a.text).join('\n'));
      const image = await showImage(api.url, id, as('replicas'));
      for (let i = 0; i < 16; i++) assert.equal(image[`prop_${i}`], `v${i}`);
    } finally {
      await second.close({ dropDatabase: false });
    }
  });

  it('50 parallel creates under a count quota of 5 answer only 201 and 413, and never more than 5 are created', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => call('POST', '/v2/images', 'counted', { name: 'q', disk_format: 'raw', container_format: 'bare' })),
    );
    const statuses = answers.map((a) => a.status);
    const created = statuses.filter((s) => s === 201).length;
    assert.ok(
      statuses.every((s) => s === 201 || s === 413),
      `${statuses.join(',')}\n${answers.filter((a) => a.status !== 201 && a.status !== 413).map((a) => a.text).join('\n')}`,
    );
    assert.equal(created, 5, statuses.join(','));
    const listed = JSON.parse((await call('GET', '/v2/images?owner=counted', 'counted')).text) as { images: unknown[] };
    assert.equal(listed.images.length, 5);
  });
});
