import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { AddressPolicy } from './address-policy.js';
import { DownloadError } from './errors.js';
import { resolveAndCheck } from './resolve-host.js';
import { fetchImage, type FetchOptions } from './safe-fetch.js';
import { DEFAULT_URL_FILTER } from './url-filter.js';

function listen<T extends Server | TcpServer>(server: T, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as { port: number }).port));
  });
}

/** A loopback socket that counts every connection made to it: the SSRF tests assert it stays at zero. */
async function sentinel(host: string) {
  let connections = 0;
  const server = createTcpServer((s) => {
    connections++;
    s.destroy();
  });
  const port = await listen(server, host);
  return { port, count: () => connections, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('fetchImage: SSRF guards with the default policy', () => {
  let v4: Awaited<ReturnType<typeof sentinel>>;
  let v6: Awaited<ReturnType<typeof sentinel>> | undefined;
  before(async () => {
    v4 = await sentinel('127.0.0.1');
    v6 = await sentinel('::1').catch(() => undefined);
  });
  after(async () => {
    await v4.close();
    await v6?.close();
  });

  const options = (port: number): FetchOptions => ({
    // The only change from the defaults: the sentinel's port, so that the address check (not the port rule) is what refuses.
    filter: { ...DEFAULT_URL_FILTER, allowedPorts: [80, 443, port] },
    policy: new AddressPolicy(),
    maxRedirects: 5,
    connectTimeoutMs: 2000,
    idleTimeoutMs: 2000,
    maxBytes: 1 << 20,
  });

  it('refuses loopback and unspecified addresses in every spelling before connecting', async () => {
    const p = v4.port;
    const urls = [
      `http://127.0.0.1:${p}/`, `http://localhost:${p}/`, `http://0.0.0.0:${p}/`, `http://2130706433:${p}/`,
      `http://0x7f000001:${p}/`, `http://0177.0.0.1:${p}/`, `http://127.1:${p}/`, `http://[::ffff:127.0.0.1]:${p}/`,
      `http://[::ffff:7f00:1]:${p}/`, `http://127.0.0.1.:${p}/`,
    ];
    for (const url of urls) {
      await assert.rejects(fetchImage(url, options(p)), (err: unknown) => err instanceof DownloadError && err.permanent, url);
    }
    if (v6) await assert.rejects(fetchImage(`http://[::1]:${v6.port}/`, options(v6.port)), DownloadError);
    assert.equal(v4.count(), 0);
    assert.equal(v6?.count() ?? 0, 0);
  });

  it('refuses names that resolve to internal addresses, and names with any internal address', async () => {
    const policy = new AddressPolicy();
    const table: Record<string, string[]> = {
      'metadata.test': ['169.254.169.254'],
      'ten.test': ['10.1.2.3'],
      'rfc1918-172.test': ['172.16.5.4'],
      'rfc1918-192.test': ['192.168.0.10'],
      'zero.test': ['0.0.0.0'],
      'mapped.test': ['::ffff:10.0.0.1'],
      'mixed.test': ['93.184.216.34', '127.0.0.1'],
    };
    const resolver = async (host: string) => table[host]!.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    for (const host of Object.keys(table)) {
      await assert.rejects(resolveAndCheck(host, policy, resolver), /refused address/, host);
    }
    assert.deepEqual(await resolveAndCheck('public.test', policy, async () => [{ address: '93.184.216.34', family: 4 }]), [
      { address: '93.184.216.34', family: 4 },
    ]);
  });
});

describe('fetchImage: redirects, limits and timeouts (loopback allowed explicitly)', () => {
  let server: Server;
  let port: number;
  let hidden: Awaited<ReturnType<typeof sentinel>>;
  before(async () => {
    hidden = await sentinel('127.0.0.2');
    server = createHttpServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/ok') res.end('hello image');
      else if (path === '/missing') res.writeHead(404).end();
      else if (path === '/to-refused') res.writeHead(302, { location: `http://127.0.0.2:${hidden.port}/x` }).end();
      else if (path === '/to-ok') res.writeHead(301, { location: '/ok' }).end();
      else if (path === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else if (path === '/big') res.writeHead(200, { 'content-length': 5000 }).end(Buffer.alloc(5000));
      else if (path === '/big-chunked') {
        res.write(Buffer.alloc(3000));
        res.end(Buffer.alloc(3000));
      } else if (path === '/stall') {
        res.writeHead(200, { 'content-length': 100 });
        res.write('x'); // then nothing
      } else if (path === '/short') {
        res.writeHead(200, { 'content-length': 100 });
        res.end('only this');
        res.socket?.destroy();
      } else res.writeHead(500).end();
    });
    port = await listen(server, '127.0.0.1');
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await hidden.close();
  });

  const options = (over: Partial<FetchOptions> = {}): FetchOptions => ({
    filter: { ...DEFAULT_URL_FILTER, allowedPorts: [port, hidden.port] },
    policy: new AddressPolicy(['127.0.0.1/32']),
    maxRedirects: 3,
    connectTimeoutMs: 2000,
    idleTimeoutMs: 1000,
    maxBytes: 4096,
    ...over,
  });
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const fails = (permanent: boolean, message: RegExp) => (err: unknown) =>
    err instanceof DownloadError && err.permanent === permanent && message.test(err.message);

  it('downloads an allowed URL and follows an allowed redirect', async () => {
    const a = await fetchImage(url('/ok'), options());
    assert.equal(await text(a.body), 'hello image');
    assert.equal(a.size, 11);
    const b = await fetchImage(url('/to-ok'), options());
    assert.equal(await text(b.body), 'hello image');
    assert.equal(b.url, url('/ok'));
  });

  it('checks every redirect target again', async () => {
    await assert.rejects(fetchImage(url('/to-refused'), options()), fails(true, /refused address/));
    assert.equal(hidden.count(), 0);
  });

  it('stops after the redirect limit', async () => {
    await assert.rejects(fetchImage(url('/loop'), options()), fails(true, /too many redirects/));
  });

  it('treats 4xx as permanent and 5xx as transient', async () => {
    await assert.rejects(fetchImage(url('/missing'), options()), fails(true, /404/));
    await assert.rejects(fetchImage(url('/error'), options()), fails(false, /500/));
  });

  it('enforces the size cap from Content-Length and while streaming', async () => {
    await assert.rejects(fetchImage(url('/big'), options()), fails(true, /size cap/));
    const chunked = await fetchImage(url('/big-chunked'), options());
    await assert.rejects(text(chunked.body), fails(true, /size cap/));
  });

  it('gives up on a server that stops sending (idle timeout) or closes early', async () => {
    const stalled = await fetchImage(url('/stall'), options());
    await assert.rejects(text(stalled.body), fails(false, /sent nothing|closed/));
    const short = await fetchImage(url('/short'), options());
    await assert.rejects(text(short.body), (err: unknown) => err instanceof DownloadError && !err.permanent);
  });

  it('refuses a port outside the allowed list before connecting', async () => {
    await assert.rejects(fetchImage(url('/ok'), options({ filter: DEFAULT_URL_FILTER })), fails(true, /port/));
  });
});
