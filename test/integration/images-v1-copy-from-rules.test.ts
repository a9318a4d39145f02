import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { RunningApi } from '../support/api-app.js';
import { type ImportStack, startImportStack } from '../support/import-stack.js';
import { send } from '../support/image-data-client.js';
import { imageServer, serve } from '../support/image-server.js';
import { testTempDir } from '../support/temp-dir.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1024 * 1024;
const as = (project: string, roles: string) => ({ accept: 'application/json', 'x-project-id': project, 'x-roles': roles });
const MEMBER = as('proj-m', 'member');
const COPIER = as('proj-q', 'member,copier');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('v1 copy-from: the copy_from policy rule, and the quota a copy is held to', () => {
  const small = randomBytes(200_000);
  const big = randomBytes(2 * MiB);
  let source: Awaited<ReturnType<typeof imageServer>>;
  let api: RunningApi;
  let stack: ImportStack;

  before(async () => {
    source = await imageServer({ '/small.raw': serve(small), '/big.raw': serve(big) });
    const policy = join(testTempDir('glimpse-policy-'), 'policy.yaml');
    writeFileSync(policy, 'copy_from: "role:admin or role:copier"\n');
    const config = testConfig({
      GLIMPSE_POLICY_FILE: policy,
      GLIMPSE_QUOTA_PROJECTS: JSON.stringify({ 'proj-q': { image_size_total: 1 } }),
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: `80,443,${source.port}`,
    });
    stack = await startImportStack(config);
    api = stack.api;
  });
  after(async () => {
    await stack?.close();
    await source?.close();
  });

  const formats = { 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare' };
  const post = (who: Record<string, string>, headers: Record<string, string>) =>
    send(`${api.url}/v1/images`, 'POST', { ...who, 'content-type': 'application/octet-stream', 'content-length': '0', ...formats, ...headers });
  const idOf = (r: { body: Buffer }) => (JSON.parse(r.body.toString()) as { image: { id: string } }).image.id;
  const settled = async (id: string, who: Record<string, string>) => {
    for (let i = 0; i < 600; i++) {
      const s = (await send(`${api.url}/v1/images/${id}`, 'HEAD', who)).headers['x-image-meta-status'];
      if (s !== 'queued' && s !== 'saving') return s;
      await sleep(100);
    }
    assert.fail(`image ${id} never settled`);
  };

  it('a caller the copy_from rule refuses gets 403 on POST (no record) and on PUT; one it allows copies', async () => {
    const refused = await post(MEMBER, { 'x-image-meta-name': 'not allowed', 'x-glance-api-copy-from': `${source.url}/small.raw` });
    assert.equal(refused.status, 403, refused.body.toString());
    const listed = JSON.parse((await send(`${api.url}/v1/images/detail?name=not%20allowed`, 'GET', MEMBER)).body.toString()) as { images: unknown[] };
    assert.deepEqual(listed.images, [], 'no record for a refused POST');
    const reserved = idOf(await post(MEMBER, { 'x-image-meta-name': 'reserve' }));
    const put = await send(`${api.url}/v1/images/${reserved}`, 'PUT', { ...MEMBER, 'content-length': '0', 'x-glance-api-copy-from': `${source.url}/small.raw` });
    assert.equal(put.status, 403, put.body.toString());
    assert.deepEqual(source.hits(), [], 'nothing was fetched for them');

    const allowed = await post(COPIER, { 'x-image-meta-name': 'allowed', 'x-glance-api-copy-from': `${source.url}/small.raw` });
    assert.equal(allowed.status, 201, allowed.body.toString());
    assert.equal(await settled(idOf(allowed), COPIER), 'active');
    const head = await send(`${api.url}/v1/images/${idOf(allowed)}`, 'HEAD', COPIER);
    assert.equal(head.headers['x-image-meta-checksum'], md5(small));
  });

  it("a project at or over its image_size_total gets no more copies: 413 and no record (the limit is checked before the work, as Glance's unified limits are)", async () => {
    // Under the limit when it starts, so it runs (the limit is soft, as Glance's): the project is over it afterwards.
    const first = await post(COPIER, { 'x-image-meta-name': 'goes over', 'x-glance-api-copy-from': `${source.url}/big.raw` });
    assert.equal(await settled(idOf(first), COPIER), 'active');
    const over = await post(COPIER, { 'x-image-meta-name': 'one more', 'x-glance-api-copy-from': `${source.url}/small.raw` });
    assert.equal(over.status, 413, over.body.toString());
    assert.match(over.body.toString(), /Project proj-q is over a limit for \[Resource image_size_total is over limit of 1 /);
    const listed = JSON.parse((await send(`${api.url}/v1/images/detail?name=one%20more`, 'GET', COPIER)).body.toString()) as { images: unknown[] };
    assert.deepEqual(listed.images, [], 'the refused POST leaves no image');
    // PUT of a copy-from onto a reserved image: refused the same way; the image keeps its new metadata, queued.
    const reserved = idOf(await post(COPIER, { 'x-image-meta-name': 'reserved' }));
    const put = await send(`${api.url}/v1/images/${reserved}`, 'PUT', { ...COPIER, 'content-length': '0', 'x-image-meta-property-k': 'v', 'x-glance-api-copy-from': `${source.url}/small.raw` });
    assert.equal(put.status, 413, put.body.toString());
    const head = await send(`${api.url}/v1/images/${reserved}`, 'HEAD', COPIER);
    assert.equal(head.headers['x-image-meta-status'], 'queued');
    assert.equal(head.headers['x-image-meta-property-k'], 'v');
    assert.deepEqual(source.hits().filter((h) => h === '/small.raw').length, 1, 'only the allowed copy of the first test fetched it');
  });
});
