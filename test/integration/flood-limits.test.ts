import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { TaskRepository } from '@glimpse/persistence';
import type { RunningApi } from '../support/api-app.js';
import { type ImportStack, startImportStack } from '../support/import-stack.js';
import { send } from '../support/image-data-client.js';
import { imageServer } from '../support/image-server.js';
import { testConfig } from '../support/test-config.js';

const QUEUED_LIMIT = 3;
const URL_IMPORTS = 2;
const as = (project: string) => ({ accept: 'application/json', 'x-project-id': project, 'x-roles': 'member' });
const A = as('flood-a');
const B = as('flood-b');
const JSON_TYPE = { 'content-type': 'application/json' };

describe('flood limits (OSSN-0076): queued images per project, URL imports running at once per project', () => {
  const data = randomBytes(256 * 1024);
  let opened = () => undefined as void;
  let gate = new Promise<void>((r) => (opened = r));
  /** Requests the source is serving right now, and the most ever at once, per project (the path's first segment). */
  const open = new Map<string, number>();
  const most = new Map<string, number>();
  let source: Awaited<ReturnType<typeof imageServer>>;
  let api: RunningApi;
  let stack: ImportStack;

  /** Sends the first bytes at once, the rest once the gate opens: the import runs until the test lets it end. */
  const held = (project: string) => (_req: IncomingMessage, res: ServerResponse) => {
    open.set(project, (open.get(project) ?? 0) + 1);
    most.set(project, Math.max(most.get(project) ?? 0, open.get(project)!));
    res.on('close', () => open.set(project, open.get(project)! - 1));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
    res.write(data.subarray(0, 1024));
    void gate.then(() => res.end(data.subarray(1024)));
  };

  before(async () => {
    const routes: Record<string, ReturnType<typeof held>> = {};
    for (let i = 0; i < URL_IMPORTS + 2; i++) routes[`/a/${i}`] = held('a');
    routes['/b/0'] = held('b');
    source = await imageServer(routes);
    const config = testConfig({
      GLIMPSE_QUEUED_IMAGES_PER_PROJECT: String(QUEUED_LIMIT),
      GLIMPSE_URL_IMPORTS_PER_PROJECT: String(URL_IMPORTS),
      // Enough workers for every import at once: only the per-project cap holds them back.
      WORKER_CONCURRENCY: String(URL_IMPORTS + 4),
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: `80,443,${source.port}`,
      GLIMPSE_WEB_DOWNLOAD_IDLE_TIMEOUT_SECONDS: '600',
    });
    stack = await startImportStack(config);
    api = stack.api;
  });
  after(async () => {
    opened();
    await stack?.close();
    await source?.close();
  });

  const v2Create = (who: Record<string, string>, body: Record<string, unknown> = {}) =>
    fetch(`${api.url}/v2/images`, { method: 'POST', headers: { ...who, ...JSON_TYPE }, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare', ...body }) });
  const v1Create = (who: Record<string, string>, headers: Record<string, string> = {}) =>
    send(`${api.url}/v1/images`, 'POST', { ...who, 'content-type': 'application/octet-stream', 'content-length': '0', 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare', ...headers });
  const v1Status = async (id: string, who = A) => (await send(`${api.url}/v1/images/${id}`, 'HEAD', who)).headers['x-image-meta-status'];
  const until = async (what: string, check: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 600; i++) {
      if (await check()) return;
      await sleep(100);
    }
    assert.fail(`never: ${what}`);
  };

  it('a project holding the limit of queued images gets 413 on v1 and v2 creates; others and other projects are not held back', async () => {
    const ids: string[] = [];
    for (let i = 0; i < QUEUED_LIMIT; i++) {
      if (i % 2) {
        const r = await v1Create(A, { 'x-image-meta-name': `q${i}` });
        assert.equal(r.status, 201, r.body.toString());
        ids.push((JSON.parse(r.body.toString()) as { image: { id: string } }).image.id);
      } else {
        const r = await v2Create(A, { name: `q${i}` });
        const text = await r.text();
        assert.equal(r.status, 201, text);
        ids.push((JSON.parse(text) as { id: string }).id);
      }
    }
    const v2 = await v2Create(A);
    assert.equal(v2.status, 413);
    assert.match(await v2.text(), new RegExp(`Project flood-a is over a limit for \\[Resource queued images is over limit of ${QUEUED_LIMIT} due to current usage ${QUEUED_LIMIT} and delta 1\\]`));
    const v1 = await v1Create(A, { 'x-image-meta-name': 'one too many' });
    assert.equal(v1.status, 413);
    assert.match(v1.body.toString(), /over limit of/);
    const listed = (await (await fetch(`${api.url}/v2/images?owner=flood-a`, { headers: A })).json()) as { images: unknown[] };
    assert.equal(listed.images.length, QUEUED_LIMIT, 'a refused create leaves no record');
    assert.equal((await v2Create(B)).status, 201, 'another project is not held back');

    // An image that leaves queued (data uploaded) or goes away makes room again.
    const put = await fetch(`${api.url}/v2/images/${ids[0]}/file`, { method: 'PUT', headers: { ...A, 'content-type': 'application/octet-stream' }, body: data });
    assert.equal(put.status, 204);
    assert.equal((await v2Create(A, { name: 'room after upload' })).status, 201);
    assert.equal((await v2Create(A)).status, 413);
    assert.equal((await fetch(`${api.url}/v2/images/${ids[1]}`, { method: 'DELETE', headers: A })).status, 204);
    const again = await v1Create(A, { 'x-image-meta-name': 'room after delete' });
    assert.equal(again.status, 201, again.body.toString());
    // Make room for the next test's imports.
    const mine = (await (await fetch(`${api.url}/v2/images?owner=flood-a&status=queued`, { headers: A })).json()) as { images: { id: string }[] };
    for (const { id } of mine.images) await fetch(`${api.url}/v2/images/${id}`, { method: 'DELETE', headers: A });
  });

  it("a project's URL imports beyond the cap wait in the queue (queued, task pending) and all finish; another project's run meanwhile", async () => {
    // The queued limit allows fewer images than this test needs at once in flood-a: create in turns.
    const started: { id: string; api: 'v1' | 'v2' }[] = [];
    for (let i = 0; i < URL_IMPORTS + 2; i++) {
      if (i % 2 === 0) {
        const r = await v1Create(A, { 'x-image-meta-name': `copy ${i}`, 'x-glance-api-copy-from': `${source.url}/a/${i}` });
        assert.equal(r.status, 201, r.body.toString());
        started.push({ id: (JSON.parse(r.body.toString()) as { image: { id: string } }).image.id, api: 'v1' });
      } else {
        const id = ((await (await v2Create(A, { name: `web ${i}` })).json()) as { id: string }).id;
        const r = await fetch(`${api.url}/v2/images/${id}/import`, { method: 'POST', headers: { ...A, ...JSON_TYPE }, body: JSON.stringify({ method: { name: 'web-download', uri: `${source.url}/a/${i}` } }) });
        assert.equal(r.status, 202, await r.text());
        started.push({ id, api: 'v2' });
      }
      // Each started import leaves queued only once it runs; wait for the running ones so creates stay under the limit.
      if (i < URL_IMPORTS) await until(`import ${i} runs`, () => (open.get('a') ?? 0) === i + 1);
    }
    const other = ((await (await v2Create(B, { name: 'b web' })).json()) as { id: string }).id;
    const r = await fetch(`${api.url}/v2/images/${other}/import`, { method: 'POST', headers: { ...B, ...JSON_TYPE }, body: JSON.stringify({ method: { name: 'web-download', uri: `${source.url}/b/0` } }) });
    assert.equal(r.status, 202);
    await until("project b's import runs while a's wait", () => (open.get('b') ?? 0) === 1);

    // The waiting ones wait: queued, their tasks pending with the reason, while the first ones hold their slots.
    const tasks = api.app.get(TaskRepository);
    const waiting = started.slice(URL_IMPORTS);
    await until('the waiting tasks say why', async () => {
      const all = await Promise.all(waiting.map(async (s) => (await tasks.forImage(s.id))[0]));
      return all.every((t) => t?.status === 'pending' && /Waiting: the project already runs/.test(t.message));
    });
    for (const s of waiting) assert.equal(await v1Status(s.id), 'queued', `${s.api} import waits queued`);
    assert.equal(most.get('a'), URL_IMPORTS, 'never more of the project at once than its cap');

    opened();
    for (const s of [...started, { id: other, api: 'v2' as const }]) {
      const who = s.id === other ? B : A;
      await until(`${s.api} image ${s.id} ends`, async () => !['queued', 'saving', 'importing'].includes(String(await v1Status(s.id, who))));
      assert.equal(await v1Status(s.id, who), 'active', `${s.api} import finished, not failed`);
    }
    assert.equal(most.get('a'), URL_IMPORTS, 'the waiting ones ran only in a freed slot');
    gate = Promise.resolve();
  });
});
