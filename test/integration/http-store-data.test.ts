import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ImageRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import { coreutilsDigests, createImage, member, octet, send, showImage } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1 << 20;

describe('image data read from an http store location', () => {
  const bytes = randomBytes(2 * MiB + 333);
  const expected = coreutilsDigests(bytes);
  let server: Server;
  let port: number;
  let api: RunningApi;
  let url: string;

  before(async () => {
    // A plain web server with single-range support, standing for the URL an image location points at.
    server = createServer((req, res) => {
      if (req.url !== '/disk.raw') return void res.writeHead(404).end();
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (m) {
        const part = bytes.subarray(Number(m[1]), Number(m[2]) + 1);
        return void res.writeHead(206, { 'content-length': part.length, 'content-range': `bytes ${m[1]}-${m[2]}/${bytes.length}` }).end(part);
      }
      res.writeHead(200, { 'content-length': bytes.length }).end(req.method === 'HEAD' ? undefined : bytes);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    api = await startApi(
      testConfig({
        GLIMPSE_STORES: 'local:file,web:http',
        GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
        GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: String(port),
      }),
    );
    url = api.url;
  });
  after(async () => {
    await api?.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** An active image whose only location is `location` on the http store (as a location API would record it). */
  async function imageAt(location: string): Promise<string> {
    const id = await createImage(url);
    await api.app.get(ImageRepository).update(id, { status: 'queued' }, {
      status: 'active',
      size: bytes.length,
      checksum: expected.md5,
      osHashAlgo: 'sha512',
      osHashValue: expected.sha512,
      locations: [{ url: location, store: 'web', metadata: { store: 'web' }, status: 'active' }],
    });
    return id;
  }

  it('downloads the bytes whole and in ranges, equal to what md5sum and sha512sum saw', async () => {
    const id = await imageAt(`http://127.0.0.1:${port}/disk.raw`);
    assert.equal((await showImage(url, id)).stores, 'web');
    const whole = await send(`${url}/v2/images/${id}/file`, 'GET', member);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-md5'], expected.md5);
    assert.ok(whole.body.equals(bytes));
    assert.deepEqual(coreutilsDigests(whole.body), expected);
    const ranged = await send(`${url}/v2/images/${id}/file`, 'GET', { ...member, range: 'bytes=1000-1999' });
    assert.equal(ranged.status, 206);
    assert.ok(ranged.body.equals(bytes.subarray(1000, 2000)));
  });

  it('answers 404 when the URL is gone, and refuses uploads into the read-only store with 400', async () => {
    const gone = await imageAt(`http://127.0.0.1:${port}/gone.raw`);
    assert.equal((await send(`${url}/v2/images/${gone}/file`, 'GET', member)).status, 404);
    const id = await createImage(url);
    const res = await send(`${url}/v2/images/${id}/file`, 'PUT', octet({ ...member, 'x-image-meta-store': 'web' }), Buffer.from('abc'));
    assert.equal(res.status, 400);
    assert.match(res.body.toString(), /read-only/);
    assert.equal((await showImage(url, id)).status, 'queued');
  });

  it('shows the http store as read-only in /v2/info/stores', async () => {
    const list = await (await fetch(`${url}/v2/info/stores`, { headers: member })).json();
    assert.deepEqual(list, { stores: [{ id: 'local', default: 'true' }, { id: 'web', 'read-only': 'true' }] });
  });
});
