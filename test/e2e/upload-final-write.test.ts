import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type ClientRequest, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageStatus } from '@glimpse/domain';
import { mongoSpec, startService, stopService } from '@glimpse/local-services';
import { ImageRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import { type OwnServices, startOwnServices } from '../support/own-services.js';
import { type Answer, createImage, filesUnder, member, octet, waitForImage } from '../support/image-data-client.js';

const MiB = 1 << 20;

/** A chunked PUT whose body is sent a piece at a time, so the test can act while the upload is under way. */
function openBody(url: string): { req: ClientRequest; answer: Promise<Answer> } {
  let req!: ClientRequest;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = request(url, { method: 'PUT', headers: octet(), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
  return { req, answer };
}

/**
 * The last write of an upload (the record showing the data) can fail for several reasons; only a deletion of
 * the image meanwhile is Glance's 410. Against servers of its own, since one case stops the database.
 */
describe('the final write of an upload: 410 only for an image deleted meanwhile', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-test-final-'));
  let own: OwnServices;
  let api: RunningApi;
  let images: ImageRepository;
  const stored = () => [...filesUnder(join(dataDir, 'stores')), ...filesUnder(join(dataDir, 'staging'))];

  before(async () => {
    own = await startOwnServices(dataDir);
    api = await startApi(own.services.config);
    images = api.app.get(ImageRepository);
  });

  after(async () => {
    await own?.stop();
    await api?.close({ dropDatabase: false }).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Starts an upload (or stage) of one MiB and waits until the image has left queued. */
  const started = async (kind: 'file' | 'stage', busy: ImageStatus) => {
    const id = await createImage(api.url);
    const { req, answer } = openBody(`${api.url}/v2/images/${id}/${kind}`);
    req.write(randomBytes(MiB));
    await waitForImage(api.url, id, (i) => i.status === busy);
    return { id, req, answer };
  };

  for (const [kind, busy, what] of [['file', ImageStatus.Saving, 'upload'], ['stage', ImageStatus.Uploading, 'stage']] as const) {
    it(`an image deleted during its ${what} answers 410 and keeps no data`, async () => {
      const { id, req, answer } = await started(kind, busy);
      assert.equal((await fetch(`${api.url}/v2/images/${id}`, { method: 'DELETE', headers: member })).status, 204);
      req.end(randomBytes(MiB));
      const res = await answer;
      assert.equal(res.status, 410, res.body.toString());
      assert.deepEqual(stored().filter((f) => f.includes(id)), []);
    });
  }

  it('an image another writer moved on (the updater took it back) answers 409, not 410', async () => {
    const { id, req, answer } = await started('file', ImageStatus.Saving);
    assert.ok(await images.update(id, { status: ImageStatus.Saving }, { status: ImageStatus.Queued }));
    req.end(randomBytes(MiB));
    const res = await answer;
    assert.equal(res.status, 409, res.body.toString());
    assert.deepEqual(stored().filter((f) => f.includes(id)), []);
  });

  it('a database that stops before the final write answers 503 (try again), not 410, and keeps no data', async () => {
    const { id, req, answer } = await started('file', ImageStatus.Saving);
    assert.equal(await stopService(mongoSpec(own.base)), true);
    try {
      req.end(randomBytes(MiB));
      const res = await answer;
      assert.equal(res.status, 503, res.body.toString());
      assert.deepEqual(stored().filter((f) => f.includes(id)), []);
    } finally {
      assert.equal(await startService(mongoSpec(own.base)), true);
    }
  });
});
