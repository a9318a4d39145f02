import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from './error-body.js';

/**
 * The HTTP server's `clientError` listener: a request Node cannot parse (a request line or headers past its
 * 16 KiB limit, malformed HTTP) gets the answer Node's own handler gives, 431 or 400 (408 on a timeout), but
 * with a body in Glance's error shape, chosen by the Accept header when it can be read from the raw bytes.
 */
export function answerClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void {
  // Node's own condition: answer unless a response on this (keep-alive) socket has begun.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const [status, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'The request line or its headers are too long.']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'The request did not arrive in time.']
          : [400, 'The request is not valid HTTP.'];
    const accept = /\r\naccept:[ \t]*([^\r\n]*)/i.exec(err.rawPacket?.toString('latin1') ?? '')?.[1];
    const { type, body } = errorBody(status, message, accept);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
