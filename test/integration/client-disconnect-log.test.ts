import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { pino } from 'pino';
import { ImageRepository } from '@glimpse/persistence';
import { createApiApp } from '../../apps/api/src/create-api-app.js';
import { createImage, member, send } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1 << 20;

/**
 * Issue 20 item 12: a client that goes away mid-request is an ordinary event. It is logged as what it is, at
 * info level at most, never as an "unhandled error" with a 500 (there is nobody left to answer).
 */
describe('client disconnects are logged as such, not as errors', () => {
  const config = testConfig({ LOG_LEVEL: 'debug' });
  const lines: { level: number; msg: string; res?: { statusCode?: number } }[] = [];
  let app: NestExpressApplication;
  let url = '';
  let port = 0;

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as (typeof lines)[number]);
        done();
      },
    });
    app = await createApiApp(config, pino({ level: 'debug' }, sink));
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
    url = `http://127.0.0.1:${port}`;
  });
  after(() => app.close());

  /** Sends the head and part of a body, then goes away. */
  const partThenGone = (head: string[], part: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write([...head, `Host: 127.0.0.1:${port}`, `X-Project-Id: ${member['x-project-id']}`, `X-Roles: ${member['x-roles']}`, '', ''].join('\r\n'));
        socket.write(part, () => setTimeout(() => (socket.destroy(), resolve()), 200));
      });
      socket.on('error', reject);
    });

  /** Reads the start of an answer, then goes away. */
  const readThenGone = (path: string) =>
    new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write([`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `X-Project-Id: ${member['x-project-id']}`, `X-Roles: ${member['x-roles']}`, '', ''].join('\r\n'));
      });
      socket.once('data', () => (socket.destroy(), resolve()));
      socket.on('error', reject);
    });

  const settle = async (done: () => Promise<boolean>) => {
    while (!(await done())) await sleep(100);
    await sleep(300); // the handler's last log lines
  };

  it('an upload cut off mid-body, a JSON body cut off, a download left half-read', async () => {
    const images = app.get(ImageRepository);
    const upload = await createImage(url);
    await partThenGone([`PUT /v2/images/${upload}/file HTTP/1.1`, 'Content-Type: application/octet-stream', `Content-Length: ${8 * MiB}`], Buffer.alloc(MiB, 1));
    await settle(async () => (await images.findById(upload))!.status === 'queued');

    await partThenGone(['POST /v2/images HTTP/1.1', 'Content-Type: application/json', 'Content-Length: 5000'], Buffer.from('{"name": "cut'));

    const download = await createImage(url);
    const data = Buffer.alloc(32 * MiB, 2);
    assert.equal((await send(`${url}/v2/images/${download}/file`, 'PUT', { ...member, 'content-type': 'application/octet-stream' }, data)).status, 204);
    await readThenGone(`/v2/images/${download}/file`);
    await sleep(1000);

    const bad = lines.filter((l) => l.level >= 40 || /unhandled error/.test(l.msg) || l.res?.statusCode === 500);
    assert.deepEqual(bad.map((l) => `${l.level} ${l.msg} ${l.res?.statusCode ?? ''}`), []);
    assert.ok(lines.some((l) => /client went away|request aborted|closed the connection/i.test(l.msg)), 'the disconnects are logged');
  });
});
