import { DownloadError } from './errors.js';

const CR = 0x0d;
const LF = 0x0a;
/** A chunk-size line (with extensions) or a trailer line may not be longer than this. */
const MAX_LINE = 4096;
const SIZE_LINE = /^([0-9A-Fa-f]{1,13})[ \t]*(?:;.*)?$/;

const malformed = (why: string) => new DownloadError(`the server sent a malformed chunked body: ${why}`, false);

/**
 * Decodes a chunked body (RFC 9112 §7.1) as it arrives, in pieces cut anywhere: the data of each chunk is handed
 * on as views of the bytes fed (no copy); sizes, extensions and trailers are read strictly (CRLF line ends,
 * hex sizes below 2^52) and the extensions and trailers dropped.
 */
export class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private line = '';
  /** A CR ended the line's text; the next byte must be LF. */
  private cr = false;
  /** Bytes of the current chunk still to come. */
  private left = 0;

  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds the next bytes; `data` gets each run of body bytes. Bytes after the body's end are ignored. */
  feed(bytes: Buffer, data: (part: Buffer) => void): void {
    let i = 0;
    while (i < bytes.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.left, bytes.length - i);
        data(bytes.subarray(i, i + n));
        i += n;
        this.left -= n;
        if (this.left === 0) this.state = 'data-end';
        continue;
      }
      const c = bytes[i++]!;
      if (this.cr) {
        if (c !== LF) throw malformed('CR without LF');
        this.cr = false;
        this.endLine();
      } else if (c === CR) this.cr = true;
      else if (c === LF) throw malformed('LF without CR');
      else if (this.state === 'data-end') throw malformed('chunk data longer than its size');
      else if (this.line.length >= MAX_LINE) throw malformed(`a line over ${MAX_LINE} bytes`);
      else this.line += String.fromCharCode(c);
    }
  }

  private endLine(): void {
    const line = this.line;
    this.line = '';
    if (this.state === 'data-end') {
      this.state = 'size';
    } else if (this.state === 'size') {
      const size = SIZE_LINE.exec(line);
      if (!size) throw malformed(`bad chunk size line ${JSON.stringify(line.slice(0, 80))}`);
      this.left = parseInt(size[1]!, 16);
      this.state = this.left === 0 ? 'trailer' : 'data';
    } else if (line === '') {
      this.state = 'done';
    }
  }
}
