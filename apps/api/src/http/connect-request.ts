import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request } from 'express';
import { allowedMethods } from './allowed-methods.js';
import { errorBody } from './error-body.js';

/**
 * The HTTP server's `connect` listener. Node hands a CONNECT request to this event instead of the app, and with
 * no listener drops the connection without a word. This server is no proxy: a CONNECT to one of its paths is
 * 405 with the path's Allow (404 for a path it does not serve), to anything else (`host:port`) 400, in Glance's
 * error shape; then the connection closes.
 */
export function connectAnswerer(app: unknown): (req: IncomingMessage, socket: Duplex) => void {
  return (req, socket) => {
    const target = req.url ?? '';
    const path = target.startsWith('/') ? target.split('?')[0]! : null;
    const allow = path === null ? [] : allowedMethods({ app, path } as unknown as Request);
    const [status, message, extra] =
      path === null
        ? [400, 'CONNECT is not supported: this server is not a proxy.', '']
        : allow.length
          ? [405, 'The method CONNECT is not allowed for this resource.', `Allow: ${allow.join(', ')}\r\n`]
          : [404, 'The resource could not be found.', ''];
    const { type, body } = errorBody(status, message, req.headers.accept);
    socket.on('error', () => undefined);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
    );
  };
}
