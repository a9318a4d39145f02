import { createServer, type IncomingMessage, request, type Server } from 'node:http';

/** What the proxy does to one request: pass it, reset the connection before answering, cut the answer's body, or
 * hold the answer back for a while (a slow server finishing a write). */
export type Fault = { kind: 'reset' } | { kind: 'cut'; afterBytes: number } | { kind: 'delay'; ms: number } | undefined;

/**
 * An HTTP proxy in front of a real server that injects network faults into chosen requests (a reset, a body cut
 * short), so tests can show what a client does when the network fails. Everything else passes unchanged.
 */
export class FaultProxy {
  private server: Server | null = null;
  /** Decides per request; `seen` counts the requests so far (this one included). */
  fault: (req: IncomingMessage, seen: number) => Fault = () => undefined;
  seen = 0;
  /** Requests the proxy broke. */
  faults = 0;
  /** Called once a request's answer has gone out to the client. */
  answered: (req: IncomingMessage) => void = () => undefined;

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      const fault = this.fault(req, ++this.seen);
      if (fault?.kind === 'reset') {
        this.faults++;
        req.resume();
        req.socket.destroy();
        return;
      }
      res.once('finish', () => this.answered(req));
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        async (answer) => {
          if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
          res.writeHead(answer.statusCode!, answer.headers);
          if (fault?.kind !== 'cut') return void answer.pipe(res);
          this.faults++;
          let sent = 0;
          answer.on('data', (chunk: Buffer) => {
            if (sent >= fault.afterBytes) return;
            const part = chunk.subarray(0, fault.afterBytes - sent);
            sent += part.length;
            res.write(part);
            if (sent >= fault.afterBytes) {
              // The bytes so far reach the client, then the connection closes before the announced length.
              answer.destroy();
              res.socket?.end();
            }
          });
          answer.on('end', () => res.end());
        },
      );
      upstream.on('error', () => res.socket?.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
