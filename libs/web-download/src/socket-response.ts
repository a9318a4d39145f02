import { connect as netConnect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect, rootCertificates } from 'node:tls';
import { ChunkedDecoder } from './chunked-decoder.js';
import { DownloadError } from './errors.js';
import { redact } from './redact-url.js';
import { headEnd, MAX_HEAD_BYTES, parseResponseHead, type ResponseHead } from './response-head.js';

export interface SocketRequest {
  url: URL;
  /** The checked address to connect to (never a name: nothing is resolved here). */
  address: string;
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Body bytes past this fail the body (permanent). */
  maxBytes: number;
  signal?: AbortSignal;
  /** PEM certificates trusted for https besides the system's roots (a private CA). */
  trustedCas?: readonly string[];
}

export interface SocketResponse extends ResponseHead {
  /** The body (already ended when the framing says there is none); destroying it closes the connection. */
  body: Readable;
}

/** Reads land in 1 MiB slabs; a read takes the rest of the current slab unless less than this is left. */
const SLAB = 1 << 20;
const MIN_READ = 64 << 10;

/**
 * One HTTP/1.1 request on a connection of its own (`Connection: close`), read off the socket without node:http:
 * each read lands in the free tail of a 1 MiB slab (the socket's `onread` option, also for TLS), and the body
 * is handed on as views of those slabs, so a byte is never copied after the kernel's copy and a GiB costs ~1000
 * reads instead of 16,000 64 KiB chunks through the http parser and a stream stage. A slab is never written
 * twice, so a consumer may keep any chunk. Content-Length and chunked bodies must arrive whole (else the body
 * fails, transient); a silent connection fails after `idleTimeoutMs`, before or after the head.
 */
export function socketRequest(req: SocketRequest): Promise<SocketResponse> {
  return new Promise<SocketResponse>((resolve, reject) => new Exchange(req, resolve, reject).start());
}

/** The state of one request: the socket, the head while it arrives, then the body's framing and counts. */
class Exchange {
  private readonly where: string;
  private readonly tls: boolean;
  private socket!: Socket;
  private slab = Buffer.allocUnsafeSlow(SLAB);
  private used = 0;
  private head: Buffer | null = Buffer.alloc(0);
  private body: SocketBody | null = null;
  private chunked: ChunkedDecoder | null = null;
  /** Content-Length, and the bytes of it still to come. */
  private length: number | null = null;
  private left = 0;
  private seen = 0;
  /** Body bytes that arrived with the head, not yet handed on. */
  private early: Buffer | null = null;
  private settled = false;
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly req: SocketRequest,
    private readonly resolve: (response: SocketResponse) => void,
    private readonly reject: (err: Error) => void,
  ) {
    this.where = redact(req.url.toString());
    this.tls = req.url.protocol === 'https:';
  }

  start(): void {
    const { url, signal } = this.req;
    if (signal?.aborted) return this.reject(this.aborted());
    signal?.addEventListener('abort', this.onAbort, { once: true });
    const port = Number(url.port || (this.tls ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const onread = { buffer: this.nextBuffer, callback: (n: number, buf: Buffer) => this.take(n, buf) };
    this.socket = this.tls
      ? tlsConnect({
          host: this.req.address,
          port,
          servername: /^[\d.:]+$/.test(host) ? undefined : host,
          ...(this.req.trustedCas?.length ? { ca: [...rootCertificates, ...this.req.trustedCas] } : {}),
          onread,
        } as ConnectionOptions)
      : netConnect({ host: this.req.address, port, onread });
    this.connectTimer = setTimeout(
      () => this.fail(new DownloadError(`connect to ${url.host} timed out after ${this.req.connectTimeoutMs} ms`, false)),
      this.req.connectTimeoutMs,
    );
    this.socket.once(this.tls ? 'secureConnect' : 'connect', () => clearTimeout(this.connectTimer));
    this.socket.setTimeout(this.req.idleTimeoutMs, () => {
      const who = this.body ? 'the server' : url.host;
      this.fail(new DownloadError(`${who} sent nothing for ${this.req.idleTimeoutMs} ms`, false));
    });
    this.socket.on('error', (err) => this.fail(err instanceof DownloadError ? err : new DownloadError(`${this.where}: ${err.message}`, false)));
    this.socket.once('end', this.onEnd);
    this.socket.once('close', () => this.fail(new DownloadError('the server closed the connection early', false)));
    this.socket.write(this.requestHead());
  }

  private requestHead(): string {
    const { url, method, headers } = this.req;
    const auth =
      url.username || url.password
        ? { authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}` }
        : {};
    const fields = { host: url.host, ...headers, ...auth, connection: 'close' };
    const lines = Object.entries(fields).map(([name, value]) => `${name}: ${value}\r\n`);
    return `${method} ${url.pathname || '/'}${url.search} HTTP/1.1\r\n${lines.join('')}\r\n`;
  }

  /** The next read's buffer: the free tail of the current slab, or a new slab when too little is left. */
  private readonly nextBuffer = (): Buffer => {
    if (SLAB - this.used < MIN_READ) {
      this.slab = Buffer.allocUnsafeSlow(SLAB);
      this.used = 0;
    }
    return this.slab.subarray(this.used);
  };

  /** One read of `n` bytes into `buf`; false pauses the socket until the body is read again. */
  private take(n: number, buf: Buffer): boolean {
    this.used += n;
    try {
      return this.consume(buf.subarray(0, n));
    } catch (err) {
      this.fail(err as Error);
      return false;
    }
  }

  private consume(bytes: Buffer): boolean {
    if (this.settled) return false;
    if (this.head) {
      // The bytes after the head wait for the first read of the body: its errors need a listener.
      this.early = this.readHead(bytes);
      return !this.body;
    }
    return this.consumeBody(bytes);
  }

  private consumeBody(bytes: Buffer): boolean {
    const body = this.body!;
    let more = true;
    if (this.chunked) {
      this.chunked.feed(bytes, (part) => (more = this.deliver(part)));
      if (this.chunked.done) return this.finish();
    } else if (this.length !== null) {
      const part = bytes.length > this.left ? bytes.subarray(0, this.left) : bytes;
      this.left -= part.length;
      more = this.deliver(part);
      if (this.left === 0) return this.finish();
    } else more = this.deliver(bytes);
    return more && !body.destroyed;
  }

  /** The body is read: the bytes that came with the head first, then the socket again. */
  private readonly pull = (): void => {
    const early = this.early;
    this.early = null;
    try {
      if (early?.length && !this.consumeBody(early)) return;
    } catch (err) {
      return this.fail(err as Error);
    }
    // With `onread`, resume() restarts reading whenever the handle stopped (a read returned false).
    if (!this.settled) this.socket.resume();
  };

  /** Adds bytes to the head; once it is whole, answers with the body and returns the bytes after it. */
  private readHead(bytes: Buffer): Buffer | null {
    const joined = this.head!.length ? Buffer.concat([this.head!, bytes]) : bytes;
    const end = headEnd(joined);
    if (end < 0 || end - 4 > MAX_HEAD_BYTES) {
      if (joined.length > MAX_HEAD_BYTES) throw new DownloadError(`the server's response head is over ${MAX_HEAD_BYTES} bytes`, false);
      this.head = joined; // slabs are never written twice: the view stays valid
      return null;
    }
    const head = parseResponseHead(joined.subarray(0, end - 4), this.req.method);
    if (head.status < 200) {
      // An interim answer (100 Continue, 103 Early Hints): the real one follows.
      this.head = Buffer.alloc(0);
      return this.readHead(joined.subarray(end));
    }
    this.head = null;
    this.body = new SocketBody(this.socket, this.pull);
    this.resolve({ ...head, body: this.body });
    const framing = head.framing;
    if (framing.kind === 'chunked') this.chunked = new ChunkedDecoder();
    if (framing.kind === 'length') this.length = this.left = framing.length;
    if (framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0)) {
      this.finish();
      return null;
    }
    return joined.subarray(end);
  }

  private deliver(part: Buffer): boolean {
    this.seen += part.length;
    if (this.seen > this.req.maxBytes) throw new DownloadError(`the image is over the size cap of ${this.req.maxBytes} bytes`, true);
    return this.body!.push(part);
  }

  /** The server closed its side: the end of a body delimited by the close, or a cut-off one. */
  private readonly onEnd = (): void => {
    if (!this.body) return this.fail(new DownloadError(`${this.where}: the server closed the connection before answering`, false));
    if (this.length === null && !this.chunked) return void this.finish();
    const got = this.length === null ? '' : `: got ${this.seen} of ${this.length} bytes`;
    this.fail(new DownloadError(`the server closed the connection early${got}`, false));
  };

  private readonly onAbort = (): void => this.fail(this.aborted());

  private aborted(): DownloadError {
    return new DownloadError(`${this.where}: The operation was aborted`, false);
  }

  /** The body is whole: it ends, and the connection is closed. Returns false (no more reads). */
  private finish(): false {
    if (this.settled) return false;
    this.settle();
    this.body!.push(null);
    return false;
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settle();
    if (this.body) this.body.destroy(err);
    else this.reject(err);
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.connectTimer);
    this.req.signal?.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }
}

/** The body as a plain stream: reading it reads the socket, destroying it closes the connection. */
class SocketBody extends Readable {
  constructor(
    private readonly socket: Socket,
    private readonly pull: () => void,
  ) {
    super({ highWaterMark: SLAB });
  }

  override _read(): void {
    this.pull();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
