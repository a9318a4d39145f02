import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ImageRepository } from '@glimpse/persistence';
import { ImageUploadService } from '../../apps/api/src/images/data/image-upload.service.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { createImage, member, octet, send } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1 << 20;

/**
 * A client that sends the headers of PUT /file or /stage and goes away at once, before the handler reads a byte
 * (issue 20, item 1): the image is back in `queued` and the project's one upload slot is free again.
 */
describe('a client that disconnects right after the upload headers', () => {
  const config = testConfig({ GLIMPSE_QUOTA_IMAGE_COUNT_UPLOADING: '1' });
  let api: RunningApi;
  let images: ImageRepository;
  /** The upload service's calls, settled or not, in order: the test waits for the handler to end. */
  const calls: Promise<unknown>[] = [];

  before(async () => {
    api = await startApi(config);
    images = api.app.get(ImageRepository);
    const uploads = api.app.get(ImageUploadService);
    for (const name of ['upload', 'stage'] as const) {
      const original = uploads[name].bind(uploads) as (...args: unknown[]) => Promise<unknown>;
      (uploads as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        const call = original(...args);
        calls.push(call.catch(() => undefined));
        return call;
      };
    }
  });
  after(() => api.close());

  /** Writes the request head, then closes the connection as soon as it is written. */
  const headersThenGone = (path: string) =>
    new Promise<void>((resolve, reject) => {
      const { port } = new URL(api.url);
      const socket = connect(Number(port), '127.0.0.1', () => {
        const head = [
          `PUT ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Content-Type: application/octet-stream', `Content-Length: ${3 * MiB}`,
          `X-Project-Id: ${member['x-project-id']}`, `X-Roles: ${member['x-roles']}`, '', '',
        ].join('\r\n');
        socket.write(head, () => {
          socket.destroy();
          resolve();
        });
      });
      socket.on('error', reject);
    });

  /** The handler's end (bounded, so a wedged upload fails the test instead of hanging it). */
  const handled = async (index: number) => {
    for (let i = 0; i < 300 && calls.length <= index; i++) await sleep(100);
    assert.ok(calls[index], 'the request reached the upload handler');
    const ended = await Promise.race([calls[index]!.then(() => true), sleep(30_000).then(() => false)]);
    assert.ok(ended, 'the upload handler ended once its client was gone');
  };

  for (const kind of ['file', 'stage'] as const) {
    it(`PUT /${kind}: the image returns to queued and the upload slot is free`, async () => {
      const id = await createImage(api.url);
      const index = calls.length;
      await headersThenGone(`/v2/images/${id}/${kind}`);
      await handled(index);
      const image = (await images.findById(id))!;
      assert.equal(image.status, 'queued');
      assert.equal(image.size, null);
      const usage = (await (await fetch(`${api.url}/v2/info/usage`, { headers: member })).json()) as { usage: Record<string, { usage: number }> };
      assert.equal(usage.usage.image_count_uploading!.usage, 0);
      // The slot is really free: the next upload of the project is taken (not 413), and so is one of this image.
      const other = await createImage(api.url);
      assert.equal((await send(`${api.url}/v2/images/${other}/file`, 'PUT', octet(), Buffer.from('next'))).status, 204);
      assert.equal((await send(`${api.url}/v2/images/${id}/${kind}`, 'PUT', octet(), Buffer.from('again'))).status, 204);
    });
  }
});
