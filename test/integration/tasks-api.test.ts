import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Task } from '@glimpse/domain';
import { TaskRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import { testConfig } from '../support/test-config.js';

describe('tasks API and task records', () => {
  const config = testConfig();
  let api: RunningApi;
  let tasks: TaskRepository;
  let imageId: string;
  const admin = { 'content-type': 'application/json', accept: 'application/json', 'x-project-id': 'p-admin', 'x-roles': 'admin' };
  const member = { 'content-type': 'application/json', accept: 'application/json', 'x-project-id': 'p1', 'x-roles': 'member' };
  const other = { ...member, 'x-project-id': 'p2' };

  const newTask = (n: number, over: Partial<Task> = {}): Task => {
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n));
    return {
      id: randomUUID(), type: 'api_image_import', status: 'pending', input: { image_id: imageId }, result: null, owner: 'p1',
      message: '', imageId, requestId: `req-${n}`, userId: 'u1', bytesDone: 0, bytesTotal: null, expiresAt: null,
      createdAt: at, updatedAt: at, ...over,
    };
  };

  before(async () => {
    api = await startApi(config);
    tasks = api.app.get(TaskRepository);
    const res = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: member, body: JSON.stringify({ name: 't' }) });
    imageId = ((await res.json()) as { id: string }).id;
  });
  after(() => api.close());

  it('follows pending → processing → success with an expiry, and refuses other moves', async () => {
    const task = await tasks.create(newTask(1));
    await assert.rejects(tasks.transition(task.id, 'processing', 'success'), /transition from pending to success/);
    const running = await tasks.transition(task.id, 'pending', 'processing');
    assert.equal(running.expiresAt, null);
    await tasks.progress(task.id, 1024, 4096, 'Copied 1 KiB');
    const done = await tasks.transition(task.id, 'processing', 'success', { result: { image_id: imageId } });
    assert.ok(done.expiresAt && done.expiresAt.getTime() > Date.now() + 47 * 3600 * 1000);
    assert.equal(done.bytesDone, 1024);
    assert.equal(done.message, 'Copied 1 KiB');
    await assert.rejects(tasks.transition(task.id, 'processing', 'failure'), /from success to failure/);
  });

  it('lets one of two racing status changes win', async () => {
    const task = await tasks.create(newTask(2));
    const results = await Promise.allSettled([
      tasks.transition(task.id, 'pending', 'processing'),
      tasks.transition(task.id, 'pending', 'failure', { message: 'x' }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  });

  it('GET /v2/tasks is for admins; members get 403', async () => {
    assert.equal((await fetch(`${api.url}/v2/tasks`, { headers: member })).status, 403);
    const res = await fetch(`${api.url}/v2/tasks`, { headers: admin });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { tasks: { id: string; self: string }[]; schema: string; first: string };
    assert.equal(body.schema, '/v2/schemas/tasks');
    assert.equal(body.first, '/v2/tasks');
    assert.ok(body.tasks.length >= 2);
    assert.equal(body.tasks[0]!.self, `/v2/tasks/${body.tasks[0]!.id}`);
  });

  it('pages with limit and marker, newest first, and refuses bad parameters', async () => {
    for (let i = 10; i < 15; i++) await tasks.create(newTask(i));
    const seen: string[] = [];
    let url: string | undefined = `/v2/tasks?limit=2`;
    while (url) {
      const body = (await (await fetch(`${api.url}${url}`, { headers: admin })).json()) as { tasks: { id: string; created_at: string }[]; next?: string };
      seen.push(...body.tasks.map((t) => t.created_at));
      url = body.next;
    }
    assert.deepEqual(seen, [...seen].sort().reverse());
    assert.equal(new Set(seen).size, seen.length);
    for (const bad of ['limit=-1', 'limit=x', 'sort_key=name', 'sort_dir=up', 'status=done', `marker=${randomUUID()}`]) {
      assert.equal((await fetch(`${api.url}/v2/tasks?${bad}`, { headers: admin })).status, 400, bad);
    }
  });

  it('shows one task to admins, with its input, result and message', async () => {
    const task = await tasks.create(newTask(20, { message: 'hello' }));
    const res = await fetch(`${api.url}/v2/tasks/${task.id}`, { headers: admin });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.id, task.id);
    assert.equal(body.message, 'hello');
    assert.deepEqual(body.input, { image_id: imageId });
    assert.equal(body.created_at, '2026-01-01T00:00:20Z');
    assert.equal((await fetch(`${api.url}/v2/tasks/${randomUUID()}`, { headers: admin })).status, 404);
    assert.equal((await fetch(`${api.url}/v2/tasks/${task.id}`, { method: 'DELETE', headers: admin })).status, 405);
  });

  it('lists an image’s tasks to whoever may see the image, in Glance’s raw timestamp form', async () => {
    const res = await fetch(`${api.url}/v2/images/${imageId}/tasks`, { headers: member });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { tasks: { image_id: string; created_at: string; deleted: boolean }[] };
    assert.ok(body.tasks.length >= 5);
    assert.ok(body.tasks.every((t) => t.image_id === imageId && t.deleted === false));
    assert.match(body.tasks[0]!.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal((await fetch(`${api.url}/v2/images/${imageId}/tasks`, { headers: other })).status, 404);
  });
});
