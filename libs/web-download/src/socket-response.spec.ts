import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { AddressPolicy } from './address-policy.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { DownloadError } from './errors.js';
import { fetchImage, type FetchOptions } from './safe-fetch.js';
import { DEFAULT_URL_FILTER } from './url-filter.js';

/**
 * web-download's own HTTP/1.1 reading (socket-response.ts) against loopback TCP servers that write exact bytes:
 * framing (Content-Length, chunked, until close), cut-off and oversize bodies, silent servers, strict heads.
 */
type Route = (socket: Socket, request: string) => unknown;

const big = randomBytes(8 << 20);
const chunkedOf = (parts: Buffer[]) =>
  Buffer.concat([...parts.flatMap((p) => [Buffer.from(`${p.length.toString(16)};ext=1\r\n`), p, Buffer.from('\r\n')]), Buffer.from('0\r\nx-trailer: t\r\n\r\n')]);
const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

const routes: Record<string, Route> = {
  '/length': (s) => {
    s.write(head(['HTTP/1.1 200 OK', `Content-Length: ${big.length}`]));
    s.end(big);
  },
  '/chunked': (s) => {
    s.write(head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']));
    const parts: Buffer[] = [];
    for (let at = 0; at < big.length; ) {
      const n = Math.min(1 + ((at * 7919) % 300_000), big.length - at);
      parts.push(big.subarray(at, at + n));
      at += n;
    }
    s.end(chunkedOf(parts));
  },
  '/until-close': (s) => {
    s.write(head(['HTTP/1.0 200 OK']));
    s.end(big.subarray(0, 100_000));
  },
  '/short': (s) => {
    s.end(`${head(['HTTP/1.1 200 OK', 'Content-Length: 1000'])}only ten b`);
  },
  '/short-chunked': (s) => {
    s.end(`${head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'])}10\r\nonly ten b`);
  },
  '/oversize-chunked': (s) => {
    s.write(head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']));
    s.end(chunkedOf([Buffer.alloc(3000), Buffer.alloc(3000)]));
  },
  '/oversize-close': (s) => {
    s.write(head(['HTTP/1.1 200 OK']));
    s.end(Buffer.alloc(5000));
  },
  '/stall-body': (s) => {
    s.write(`${head(['HTTP/1.1 200 OK', 'Content-Length: 100'])}x`);
  },
  '/stall-head': (s) => {
    s.write('HTTP/1.1 200 OK\r\n');
  },
  '/slow-but-steady': async (s) => {
    // 8 bytes, one every 250 ms: 2 s in all, twice the idle timeout, but never silent for it.
    s.write(head(['HTTP/1.1 200 OK', 'Content-Length: 8']));
    for (let i = 0; i < 8 && !s.destroyed; i++) {
      await sleep(250);
      s.write('s');
    }
    s.end();
  },
  '/interim': (s) => {
    s.end(`${head(['HTTP/1.1 100 Continue'])}${head(['HTTP/1.1 200 OK', 'Content-Length: 2'])}ok`);
  },
  '/echo-auth': (s, request) => {
    const auth = /^authorization: (.*)$/im.exec(request)?.[1] ?? '';
    s.end(`${head(['HTTP/1.1 200 OK', `Content-Length: ${auth.length}`])}${auth}`);
  },
  '/head': (s) => {
    // The answer to a HEAD: a Content-Length and no body.
    s.write(head(['HTTP/1.1 200 OK', 'Content-Length: 123456']));
  },
  '/to-internal': (s, request) => {
    const port = /^host: [\d.]+:(\d+)$/im.exec(request)![1];
    s.end(head(['HTTP/1.1 302 Found', `Location: http://internal.test:${port}/x`, 'Content-Length: 0']));
  },
  '/bad-status': (s) => s.end(head(['HTTP/2 200 OK', 'Content-Length: 0'])),
  '/bad-folding': (s) => s.end(head(['HTTP/1.1 200 OK', 'X-A: one', ' two', 'Content-Length: 0'])),
  '/bad-framing': (s) => s.end(head(['HTTP/1.1 200 OK', 'Content-Length: 2', 'Transfer-Encoding: chunked'])),
  '/bad-lengths': (s) => s.end(head(['HTTP/1.1 200 OK', 'Content-Length: 2', 'Content-Length: 3'])),
  '/bad-coding': (s) => s.end(head(['HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, chunked'])),
  '/bad-chunk': (s) => s.end(`${head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'])}zz\r\n`),
  '/huge-head': (s) => s.end(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`),
};

describe('socket response reading (loopback TCP servers writing exact bytes)', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((socket) => {
      let request = '';
      socket.on('error', () => undefined);
      socket.on('data', (d) => {
        request += d.toString('latin1');
        if (!request.includes('\r\n\r\n')) return;
        socket.removeAllListeners('data');
        const path = /^[A-Z]+ (\S+)/.exec(request)![1]!;
        void routes[path]!(socket, request);
      });
    });
    port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const options = (over: Partial<FetchOptions> = {}): FetchOptions => ({
    filter: { ...DEFAULT_URL_FILTER, allowedPorts: [port] },
    policy: new AddressPolicy(['127.0.0.1/32']),
    maxRedirects: 3,
    connectTimeoutMs: 5000,
    idleTimeoutMs: 1000,
    maxBytes: 64 << 20,
    ...over,
  });
  const url = (path: string, auth = '') => `http://${auth}127.0.0.1:${port}${path}`;
  const fails = (permanent: boolean, message: RegExp) => (err: unknown) =>
    err instanceof DownloadError && err.permanent === permanent && message.test(err.message);
  /** Every chunk kept (a consumer may hold on to chunks), read slowly enough for the socket to pause. */
  const keepAll = async (body: Readable) => {
    const chunks: Buffer[] = [];
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      if (chunks.length % 8 === 0) await sleep(1);
    }
    return Buffer.concat(chunks);
  };
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  it('reads a Content-Length body whole, every chunk kept intact while later reads arrive', async () => {
    const got = await fetchImage(url('/length'), options());
    assert.equal(got.size, big.length);
    assert.equal(sha(await keepAll(got.body)), sha(big));
  });

  it('decodes a chunked body (chunks of every size, extensions and a trailer)', async () => {
    const got = await fetchImage(url('/chunked'), options());
    assert.equal(got.size, null);
    assert.equal(sha(await keepAll(got.body)), sha(big));
  });

  it('reads a body without framing until the server closes', async () => {
    const got = await fetchImage(url('/until-close'), options());
    assert.equal(sha(await keepAll(got.body)), sha(big.subarray(0, 100_000)));
  });

  it('skips an interim 1xx answer and sends the URL credentials as Basic authorization', async () => {
    assert.equal((await keepAll((await fetchImage(url('/interim'), options())).body)).toString(), 'ok');
    const echoed = await keepAll((await fetchImage(url('/echo-auth', 'us%40er:p%3Ass@'), options())).body);
    assert.equal(echoed.toString(), `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
  });

  it('fails a body cut off before its Content-Length or its last chunk (transient)', async () => {
    await assert.rejects(keepAll((await fetchImage(url('/short'), options())).body), fails(false, /closed the connection early: got 10 of 1000 bytes/));
    await assert.rejects(keepAll((await fetchImage(url('/short-chunked'), options())).body), fails(false, /closed the connection early/));
  });

  it('fails a chunked or unframed body over the size cap (permanent)', async () => {
    const capped = options({ maxBytes: 4096 });
    await assert.rejects(keepAll((await fetchImage(url('/oversize-chunked'), capped)).body), fails(true, /size cap of 4096/));
    await assert.rejects(keepAll((await fetchImage(url('/oversize-close'), capped)).body), fails(true, /size cap of 4096/));
  });

  it('gives up on a server silent for the idle timeout, before or after the head, not on a slow one', async () => {
    await assert.rejects(keepAll((await fetchImage(url('/stall-body'), options())).body), fails(false, /sent nothing for 1000 ms/));
    await assert.rejects(fetchImage(url('/stall-head'), options()), fails(false, /sent nothing for 1000 ms/));
    assert.equal((await keepAll((await fetchImage(url('/slow-but-steady'), options())).body)).toString(), 'ssssssss');
  });

  it('answers a HEAD with the Content-Length and an empty body', async () => {
    const got = await fetchImage(url('/head'), options({ method: 'HEAD' }));
    assert.equal(got.size, 123456);
    assert.equal((await keepAll(got.body)).length, 0);
  });

  it('checks a redirect target by its resolved address before connecting', async () => {
    const resolved: string[] = [];
    const resolver = async (host: string) => {
      resolved.push(host);
      return [{ address: '10.0.0.7', family: 4 }];
    };
    await assert.rejects(fetchImage(url('/to-internal'), options({ resolver })), fails(true, /internal\.test resolves to a refused address: 10\.0\.0\.7/));
    assert.deepEqual(resolved, ['internal.test']);
  });

  it('refuses malformed heads and bodies with a clean transient error', async () => {
    for (const path of ['/bad-status', '/bad-folding', '/bad-framing', '/bad-lengths', '/bad-coding']) {
      await assert.rejects(fetchImage(url(path), options()), fails(false, /malformed response head/), path);
    }
    await assert.rejects(fetchImage(url('/huge-head'), options()), fails(false, /head is over 65536 bytes/));
    await assert.rejects(keepAll((await fetchImage(url('/bad-chunk'), options())).body), fails(false, /malformed chunked body/));
  });
});

describe('socket response reading over TLS (a loopback https server with a certificate for image.test)', () => {
  let server: HttpsServer;
  let port: number;
  let cert: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=image.test',
        '-addext', 'subjectAltName=DNS:image.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
        if (req.url === '/chunked') {
          res.write(big.subarray(0, 3 << 20));
          res.end(big.subarray(3 << 20));
        } else res.writeHead(200, { 'content-length': big.length }).end(big);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const options = (over: Partial<FetchOptions> = {}): FetchOptions => ({
    filter: { ...DEFAULT_URL_FILTER, allowedPorts: [port] },
    policy: new AddressPolicy(['127.0.0.1/32']),
    resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    maxRedirects: 0,
    connectTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    maxBytes: 64 << 20,
    trustedCas: [cert],
    ...over,
  });
  const body = async (readable: Readable) => {
    const chunks: Buffer[] = [];
    for await (const chunk of readable) chunks.push(chunk as Buffer);
    return createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
  };
  const want = () => createHash('sha256').update(big).digest('hex');

  it('reads Content-Length and chunked bodies whole through TLS', async () => {
    assert.equal(await body((await fetchImage(`https://image.test:${port}/file`, options())).body), want());
    assert.equal(await body((await fetchImage(`https://image.test:${port}/chunked`, options())).body), want());
  });

  it('verifies the certificate against the name in the URL (sent as the server name), not the address', async () => {
    const transient = (message: RegExp) => (err: unknown) => err instanceof DownloadError && !err.permanent && message.test(err.message);
    await assert.rejects(fetchImage(`https://image.test:${port}/file`, options({ trustedCas: [] })), transient(/self[- ]signed|unable to verify/i));
    await assert.rejects(fetchImage(`https://other.test:${port}/file`, options()), transient(/altnames|does not match|image\.test/i));
  });
});

describe('ChunkedDecoder', () => {
  const encoded = Buffer.from('4;a=b\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nx-t: 1\r\n\r\nleftover');

  it('decodes the same body however the bytes are cut', () => {
    for (let cut = 1; cut < encoded.length; cut++) {
      const decoder = new ChunkedDecoder();
      const out: Buffer[] = [];
      decoder.feed(encoded.subarray(0, cut), (p) => out.push(Buffer.from(p)));
      decoder.feed(encoded.subarray(cut), (p) => out.push(Buffer.from(p)));
      assert.equal(Buffer.concat(out).toString(), 'Wikipedia in\r\n\r\nchunks.', `cut at ${cut}`);
      assert.ok(decoder.done);
    }
  });

  it('refuses bare LF, data past its size and sizes that are not hex', () => {
    for (const bad of ['4\nWiki\r\n', '4\r\nWikix\r\n', 'g\r\n', '12345678901234\r\n']) {
      assert.throws(() => new ChunkedDecoder().feed(Buffer.from(bad), () => undefined), /malformed chunked body/, JSON.stringify(bad));
    }
  });
});
