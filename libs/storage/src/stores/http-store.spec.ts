import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { AddressPolicy, DEFAULT_URL_FILTER } from '@glimpse/web-download';
import { LocationNotFound } from '../store.js';
import { type HttpFetchSettings, HttpStore } from './http-store.js';

describe('HttpStore: locations read through the web-download guards', () => {
  let server: Server;
  let base: string;
  let port: number;
  let connections = 0;
  const body = '0123456789abcdef';

  before(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/disk.raw') return void res.writeHead(404).end();
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (m) {
        const part = body.slice(Number(m[1]), Number(m[2]) + 1);
        return void res.writeHead(206, { 'content-length': part.length }).end(part);
      }
      res.writeHead(200, { 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body);
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    base = `http://127.0.0.1:${port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const settings = (allowedNetworks: string[]): HttpFetchSettings => ({
    filter: { ...DEFAULT_URL_FILTER, allowedPorts: [80, 443, port] },
    policy: new AddressPolicy(allowedNetworks),
    maxRedirects: 2,
    connectTimeoutMs: 2000,
    idleTimeoutMs: 2000,
    maxBytes: 1 << 20,
  });

  it('refuses a location on an internal address by default, before connecting', async () => {
    const store = new HttpStore('web', settings([]));
    const before = connections;
    await assert.rejects(store.get(`${base}/disk.raw`), /internal|not allowed|refused|filtering/i);
    assert.equal(await store.stat(`${base}/disk.raw`), null);
    assert.equal(connections, before);
  });

  it('reads, reads a range and stats a location on an allowed network; 404 is LocationNotFound', async () => {
    const store = new HttpStore('web', settings(['127.0.0.1/32']));
    assert.equal(await text(await store.get(`${base}/disk.raw`)), body);
    assert.equal(await text(await store.get(`${base}/disk.raw`, { start: 2, end: 5 })), '2345');
    assert.deepEqual(await store.stat(`${base}/disk.raw`), { size: body.length });
    await assert.rejects(store.get(`${base}/gone`), LocationNotFound);
    await assert.rejects(store.put(), /read-only/);
  });
});
