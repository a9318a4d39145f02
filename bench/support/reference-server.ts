/**
 * The benchmarks' reference servers (run as a child process: `node reference-server.js <mode> <file>`), the
 * minimal programs the service is measured against (../shared/reference/machine-limits.md):
 *   - upload:   PUT bodies are written to <file> with fsync while MD5 and SHA-512 are computed by two worker
 *               threads fed from a ring of 16 shared 1 MiB slots (one copy per byte, one message per MiB);
 *   - download: GET answers fs.createReadStream(<file>, 1 MiB) piped to the response.
 * It prints `listening <port>` once ready; a PUT answers JSON {size, md5, sha512}.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fsyncSync, openSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const SLOT = 1 << 20;
const SLOTS = 16;

if (!isMainThread) {
  // Worker: hashes slots of the ring in place; 'end' → digest (and start over for the next request).
  const { algorithm, ring } = workerData as { algorithm: string; ring: SharedArrayBuffer };
  let hash = createHash(algorithm);
  parentPort!.on('message', (m: { slot: number; length: number } | 'end') => {
    if (m === 'end') {
      parentPort!.postMessage({ digest: hash.digest('hex') });
      hash = createHash(algorithm);
      return;
    }
    hash.update(new Uint8Array(ring, m.slot * SLOT, m.length));
    parentPort!.postMessage({ slot: m.slot });
  });
} else {
  const [mode, file] = process.argv.slice(2) as ['upload' | 'download', string];
  const ring = new SharedArrayBuffer(SLOT * SLOTS);
  const view = new Uint8Array(ring);
  const refs = new Int32Array(SLOTS);
  const workers =
    mode === 'upload' ? ['md5', 'sha512'].map((algorithm) => new Worker(new URL(import.meta.url), { workerData: { algorithm, ring } })) : [];

  const upload = (req: IncomingMessage, res: ServerResponse) => {
    const fd = openSync(file, 'w');
    const out = createWriteStream('', { fd, autoClose: false, highWaterMark: SLOT });
    let size = 0;
    let current = -1;
    let offset = 0;
    let inFlight = 0;
    let ended = false;
    let pending: Buffer | null = null;
    let diskFull = false;
    const free = () => refs.filter((r) => r === 0).length;
    const flush = () => {
      if (current < 0 || offset === 0) return;
      refs[current] = 2;
      inFlight += 2;
      for (const w of workers) w.postMessage({ slot: current, length: offset });
      current = -1;
      offset = 0;
    };
    const take = (chunk: Buffer) => {
      for (let pos = 0; pos < chunk.length; ) {
        if (current < 0) {
          current = refs.indexOf(0);
          refs[current] = -1;
          offset = 0;
        }
        const n = Math.min(SLOT - offset, chunk.length - pos);
        view.set(chunk.subarray(pos, pos + n), current * SLOT + offset);
        offset += n;
        pos += n;
        if (offset === SLOT) flush();
      }
    };
    const fits = (chunk: Buffer) => free() >= Math.ceil(chunk.length / SLOT) + 1;
    const resume = () => {
      if (!pending && !diskFull && req.isPaused()) req.resume();
    };
    const finish = () => {
      const digests: string[] = [];
      let n = 0;
      workers.forEach((w, i) => {
        w.removeAllListeners('message');
        w.once('message', (m: { digest: string }) => {
          digests[i] = m.digest;
          if (++n === 2) {
            out.end(() => {
              fsyncSync(fd);
              closeSync(fd);
              res.end(JSON.stringify({ size, md5: digests[0], sha512: digests[1] }));
            });
          }
        });
        w.postMessage('end');
      });
    };
    for (const w of workers) {
      w.removeAllListeners('message');
      w.on('message', (m: { slot: number }) => {
        refs[m.slot]!--;
        inFlight--;
        if (pending && fits(pending)) {
          take(pending);
          pending = null;
          if (ended) flush();
        }
        resume();
        if (ended && !pending && inFlight === 0) finish();
      });
    }
    out.on('drain', () => {
      diskFull = false;
      resume();
    });
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (!out.write(chunk)) diskFull = true;
      if (fits(chunk)) take(chunk);
      else pending = chunk;
      if (diskFull || pending) req.pause();
    });
    req.on('end', () => {
      ended = true;
      flush();
      if (inFlight === 0 && !pending) finish();
    });
  };

  const download = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file, { highWaterMark: SLOT }).pipe(res);
  };

  const server = createServer((req, res) => (req.method === 'PUT' ? upload(req, res) : download(req, res)));
  server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as { port: number }).port}`));
  process.on('SIGTERM', () => {
    server.close();
    for (const w of workers) void w.terminate();
  });
}
