import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { JobName } from '@glimpse/contracts';
import { JobProducer } from '@glimpse/queue';
import { type RunningApi, startApi } from '../support/api-app.js';
import { freePort } from '../support/free-port.js';
import { waitForHttp } from '../support/http-wait.js';
import { imageServer, serve } from '../support/image-server.js';
import { testConfig } from '../support/test-config.js';
import { stopWorker, workerEnv } from '../support/worker-process.js';
import { storedRecords } from '../support/stored-records.js';

const standalone = resolve(import.meta.dirname, '..', '..', 'apps', 'standalone', 'src', 'main.js');
const as = (project: string, roles = 'member') => ({ 'content-type': 'application/json', accept: 'application/json', 'x-project-id': project, 'x-roles': roles });
const OWNER = as('p-owner');
const OTHER = as('p-other');
const ADMIN = as('p-admin', 'admin');
const SECRETS = ['s3cret', 'token=abc'];

/**
 * Issue 20 item 3: a public image's tasks are its owner's (and admins') to see, and a web-download URI's
 * credentials (userinfo, a query token) reach the server they are for but no task record, API answer or log line.
 * The API and worker run as one real process at debug level so that everything they log is read.
 */
describe('image tasks: the owner\'s only; URL credentials neither stored, answered nor logged', () => {
  const data = Buffer.alloc(64 * 1024, 7);
  let server: Awaited<ReturnType<typeof imageServer>>;
  let reader: RunningApi;
  let child: ChildProcess | undefined;
  let output = '';
  let url = '';

  before(async () => {
    const basic = `Basic ${Buffer.from('user:s3cret').toString('base64')}`;
    server = await imageServer({
      // Answers only to the credentials the URI carries: the import must still use them.
      '/img?token=abc': (req, res) => (req.headers.authorization === basic ? serve(data)(req, res) : res.writeHead(401).end()),
      '/gone?token=abc': (_req, res) => res.writeHead(403).end(),
    });
    const settings = {
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: `80,443,${server.port}`,
      GLIMPSE_STORES: 'local:file,web:http',
      GLIMPSE_DEFAULT_STORE: 'local',
    };
    const config = testConfig(settings);
    reader = await startApi(config);
    const port = await freePort();
    child = spawn(process.execPath, ['--enable-source-maps', standalone], {
      env: { ...workerEnv(config, settings), GLIMPSE_PORT: String(port), LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/healthz`, (s) => s === 200);
  });
  after(async () => {
    if (child) await stopWorker(child, 'SIGTERM');
    await server?.close();
    await reader?.close();
  });

  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    answers.push(text);
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const answers: string[] = [];
  const create = async (body: Record<string, unknown>) => {
    const r = await call('POST', '/v2/images', OWNER, { disk_format: 'raw', container_format: 'bare', visibility: 'community', ...body });
    assert.equal(r.status, 201);
    return r.body.id as string;
  };
  /** The image once its (only) task has ended, and that task. */
  const settled = async (id: string) => {
    for (;;) {
      const [task] = await tasksOf(id, ADMIN);
      if (task && (task.status === 'success' || task.status === 'failure')) return { image: (await call('GET', `/v2/images/${id}`, ADMIN)).body, task };
      await sleep(100);
    }
  };
  const tasksOf = async (id: string, headers: Record<string, string>) => {
    const r = await call('GET', `/v2/images/${id}/tasks`, headers);
    assert.equal(r.status, 200);
    return r.body.tasks as { id: string; status: string; owner: string; input: { import_req?: { method: { uri: string } }; loc_url?: string }; message: string }[];
  };

  it('web-download with userinfo and a query token: imported with them, shown and kept redacted, to the owner only', async () => {
    const id = await create({ name: 'secret-import' });
    const uri = `http://user:s3cret@127.0.0.1:${server.port}/img?token=abc`;
    assert.equal((await call('POST', `/v2/images/${id}/import`, OWNER, { method: { name: 'web-download', uri } })).status, 202);
    const { image, task } = await settled(id);
    assert.equal(image.status, 'active', `the server accepted the credentials: ${task.message}`);
    assert.equal(image.os_hash_value, createHash('sha512').update(data).digest('hex'));

    assert.deepEqual(await tasksOf(id, OTHER), [], 'another project sees the community image but not its tasks');
    const [mine] = await tasksOf(id, OWNER);
    assert.equal(mine!.input.import_req!.method.uri, `http://***@127.0.0.1:${server.port}/img?token=***`);
    assert.equal((await tasksOf(id, ADMIN)).length, 1);
    assert.equal((await call('GET', `/v2/tasks/${mine!.id}`, ADMIN)).status, 200);
    // The full URI travelled in the queued job alone, and the worker clears it there once the import has ended.
    const queue = reader.app.get(JobProducer).queueFor(JobName.ImageImport);
    let job = await queue.getJob(mine!.id);
    while (job?.data.uri !== undefined) {
      await sleep(100);
      job = await queue.getJob(mine!.id);
    }
    assert.deepEqual(job?.data, { taskId: mine!.id, imageId: id });
  });

  it('a failed web-download and a refused URI say why without the credentials', async () => {
    const id = await create({ name: 'secret-fail' });
    const uri = `http://user:s3cret@127.0.0.1:${server.port}/gone?token=abc`;
    assert.equal((await call('POST', `/v2/images/${id}/import`, OWNER, { method: { name: 'web-download', uri } })).status, 202);
    const { image, task } = await settled(id);
    assert.equal(image.status, 'queued');
    assert.equal(task.status, 'failure');
    assert.match(task.message, /\*\*\*@127\.0\.0\.1.*token=\*\*\*.*403/);
    const refused = await call('POST', `/v2/images/${id}/import`, OWNER, { method: { name: 'web-download', uri: 'http://user:s3cret@127.0.0.1:1/x?token=abc' } });
    assert.equal(refused.status, 400);
    assert.match(String(refused.body.message), /does not pass filtering: http:\/\/\*\*\*@127\.0\.0\.1:1\/x\?token=\*\*\*/);
  });

  it('a location with credentials: its task shows the URL redacted, to the owner only', async () => {
    const id = await create({ name: 'secret-location' });
    const r = await call('POST', `/v2/images/${id}/locations`, OWNER, { url: `http://user:s3cret@127.0.0.1:${server.port}/img?token=abc` });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual(await tasksOf(id, OTHER), []);
    const [task] = await tasksOf(id, OWNER);
    assert.equal(task!.input.loc_url, `http://***@127.0.0.1:${server.port}/img?token=***`);
  });

  it('nothing stored in a task, answered or logged holds the secrets', async () => {
    // Let the worker finish what it was doing (the location's checks) so that its log lines are in.
    const tasks = storedRecords(reader.app, 'tasks');
    for (;;) {
      const open = await tasks.countDocuments({ status: { $in: ['pending', 'processing'] } });
      if (open === 0) break;
      await sleep(100);
    }
    const records = JSON.stringify(await tasks.find({}).toArray());
    assert.ok(records.length > 100 && output.length > 1000 && answers.length > 10, 'there is something to search');
    assert.match(output, /"level":(20|30)/, 'the log is at debug level');
    for (const secret of SECRETS) {
      assert.ok(!records.includes(secret), `task records hold ${secret}`);
      assert.ok(!answers.some((a) => a.includes(secret)), `an answer holds ${secret}`);
      assert.ok(!output.includes(secret), `the log holds ${secret}: ${output.split('\n').find((l) => l.includes(secret))}`);
    }
  });
});
