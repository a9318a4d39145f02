import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback HTTP server with fixed routes, standing in for the web servers web-download fetches from. */
export async function imageServer(routes: Record<string, Route>): Promise<{ url: string; port: number; hits: () => string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (route) route(req, res);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits: () => [...hits],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a buffer with its Content-Length. */
export const serve = (body: Buffer, type = 'application/octet-stream'): Route => (_req, res) => {
  res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
};
