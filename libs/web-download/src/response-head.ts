import { DownloadError } from './errors.js';

/** How the body after a response head is delimited (RFC 9112 §6.3). */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

export interface ResponseHead {
  status: number;
  reason: string;
  /** Lower-cased names; repeated fields joined with ", " (as node:http does). */
  headers: Record<string, string>;
  /** Content-Length, when the server sent one (also for HEAD, where no body follows). */
  contentLength: number | null;
  framing: BodyFraming;
}

/** A server's head may not be longer than this (node:http allows 16 KiB). */
export const MAX_HEAD_BYTES = 64 << 10;

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?$/;
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\x00-\x08\x0a-\x1f\x7f]*?)[ \t]*$/;

const malformed = (why: string) => new DownloadError(`the server sent a malformed response head: ${why}`, false);

/**
 * Parses a response head (status line and fields, without the blank line that ends it), strictly: HTTP/1.0 or
 * 1.1 only, CRLF line ends, no obsolete line folding, no control characters, one Content-Length value, no
 * Content-Length beside Transfer-Encoding, and no transfer coding but chunked (another would hand the image
 * encoded bytes). No maintained parser is reachable here: node's llhttp binding is internal, undici is not
 * installed (only its types), and the head is a few hundred bytes, so a strict reading is short and total.
 */
export function parseResponseHead(head: Buffer, method: 'GET' | 'HEAD'): ResponseHead {
  const lines = head.toString('latin1').split('\r\n');
  const statusLine = STATUS_LINE.exec(lines[0]!);
  if (!statusLine) throw malformed(`bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  const headers: Record<string, string> = {};
  const lengths = new Set<string>();
  for (const line of lines.slice(1)) {
    const field = FIELD.exec(line);
    if (!field) throw malformed(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = field[1]!.toLowerCase();
    const value = field[2]!;
    if (name === 'content-length') for (const v of value.split(',')) lengths.add(v.trim());
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const status = Number(statusLine[1]);
  const contentLength = parseLength(lengths);
  return { status, reason: statusLine[2] ?? '', headers, contentLength, framing: framing(status, method, headers, contentLength) };
}

function parseLength(values: Set<string>): number | null {
  if (values.size === 0) return null;
  const [value] = values;
  if (values.size > 1 || !/^\d{1,15}$/.test(value!)) throw malformed(`bad Content-Length ${[...values].join(', ')}`);
  return Number(value);
}

function framing(status: number, method: 'GET' | 'HEAD', headers: Record<string, string>, length: number | null): BodyFraming {
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return { kind: 'none' };
  const coding = headers['transfer-encoding'];
  if (coding !== undefined) {
    if (length !== null) throw malformed('both Transfer-Encoding and Content-Length');
    if (coding.trim().toLowerCase() !== 'chunked') throw malformed(`unsupported Transfer-Encoding ${coding}`);
    return { kind: 'chunked' };
  }
  return length === null ? { kind: 'close' } : { kind: 'length', length };
}

/** Where the blank line ending a head lies in `bytes` (the index past it), or -1. */
export function headEnd(bytes: Buffer): number {
  const at = bytes.indexOf('\r\n\r\n', 0, 'latin1');
  return at < 0 ? -1 : at + 4;
}
