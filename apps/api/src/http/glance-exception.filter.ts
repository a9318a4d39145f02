import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { type ErrorKind, GlimpseError } from '@glimpse/domain';
import { V1_PREFIXES, v2Prefixes, versionsDocument } from '../versions/versions-document.js';
import { allowedMethods } from './allowed-methods.js';
import { baseUrl } from './base-url.js';
import { errorBody } from './error-body.js';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  gone: 410,
  'too-large': 413,
  'unsupported-media-type': 415,
  'range-not-satisfiable': 416,
  unavailable: 503,
};

/** Routes of our own outside the versioned API; any other unknown first segment gets the versions document. */
const OWN_TOP_LEVEL = new Set(['healthz', 'metrics', 'versions', 'console']);

/** The one place errors become HTTP answers, in Glance's error shape. Internals never leak. */
@Catch()
export class GlanceExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  constructor(@InjectConfig('cache') private readonly cache: ConfigOf<'cache'>, @InjectConfig('http') private readonly http: ConfigOf<'http'>) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    if (clientWentAway(exception, req)) {
      // An ordinary event, and nobody is left to read an answer.
      this.logger.log(`${req.method} ${req.originalUrl}: the client went away (${(exception as Error).message})`);
      res.destroy();
      return;
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (exception instanceof NotFoundException && this.isUnversioned(req.path)) {
      res.status(300).json(versionsDocument(baseUrl(this.http, req), { v1: this.http.apiV1, cache: this.cache !== null }));
      return;
    }
    if (exception instanceof NotFoundException && /^Cannot [A-Z]+ /.test(exception.message)) {
      // No route for this method: 405 with Allow when the path is routed for other methods.
      const allow = allowedMethods(req);
      if (allow.length && !allow.includes(req.method)) {
        exception = new GlimpseError('method-not-allowed', `The method ${req.method} is not allowed for this resource.`, { Allow: allow.join(', ') });
      }
    }
    const { status, message, headers } = this.describe(exception);
    const { type, body } = errorBody(status, message, req.get('accept'), { asDetail: exception instanceof GlimpseError && exception.asDetail });
    // A body not read to its end (an upload refused before or while it streams) is not drained: the answer
    // says the connection closes, so a keep-alive client opens a new one instead of reusing a dying socket.
    if (!req.complete) res.set('Connection', 'close');
    res.status(status).set(headers).type(type).send(body);
  }

  private isUnversioned(path: string): boolean {
    const first = path.split('/').filter(Boolean)[0] ?? '';
    return !v2Prefixes(this.cache !== null).has(first) && !(this.http.apiV1 && V1_PREFIXES.has(first)) && !OWN_TOP_LEVEL.has(first);
  }

  private describe(exception: unknown): { status: number; message: string; headers: Record<string, string> } {
    // Errors of Express middleware (the JSON body parser, its verify hook) arrive wrapped by Nest's adapter.
    const cause = exception instanceof HttpException ? exception.cause : undefined;
    if (cause instanceof GlimpseError || bodyParserError(cause)) exception = cause;
    if (exception instanceof GlimpseError) {
      return { status: STATUS[exception.kind], message: exception.message, headers: exception.headers };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status < 500) return { status, message: httpMessage(exception), headers: {} };
    }
    const bodyParser = bodyParserError(exception);
    if (bodyParser) return { ...bodyParser, headers: {} };
    if (storageFull(exception)) {
      // Glance's StorageFull: the upload was undone by its owner; the operator must make room.
      this.logger.warn(`a store or the staging area is full: ${(exception as Error).message}`);
      return { status: 413, message: 'Image storage media is full: There is not enough disk space on the image storage media.', headers: {} };
    }
    if (dependencyDown(exception)) {
      this.logger.warn(`a dependency is unreachable: ${(exception as Error).message}`);
      return { status: 503, message: 'The service is temporarily unavailable (its database or queue does not answer); try again.', headers: { 'Retry-After': '5' } };
    }
    const errorId = randomUUID();
    this.logger.error(`unhandled error ${errorId}: ${exception instanceof Error ? (exception.stack ?? exception.message) : JSON.stringify(exception)}`);
    return {
      status: 500,
      message: `The server has either erred or is incapable of performing the requested operation. (error id ${errorId})`,
      headers: {},
    };
  }
}

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (exception instanceof NotFoundException) return 'The resource could not be found.';
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : String(message ?? exception.message);
}

/** Errors thrown by the JSON body parser carry a status and a type. */
function bodyParserError(exception: unknown): { status: number; message: string } | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { status, type } = exception as { status?: unknown; type?: unknown };
  if (type === 'entity.parse.failed') return { status: 400, message: 'Malformed JSON in request body.' };
  if (type === 'entity.too.large') return { status: 413, message: 'Request body is too large.' };
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, message: 'Bad request.' };
  return undefined;
}

/** Errors a request ends with when its client disconnected (the upload's ClientGone, a reset or early close). */
const DISCONNECT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

function clientWentAway(exception: unknown, req: Request): boolean {
  if (!(exception instanceof Error)) return false;
  if (exception.name === 'ClientGone') return true;
  const code = (exception as { code?: unknown }).code;
  const disconnectShaped = (typeof code === 'string' && DISCONNECT_CODES.has(code)) || exception.message === 'aborted';
  return disconnectShaped && (req.socket?.destroyed ?? true);
}

/** A file system out of space (or over its quota) under a file store or the staging area. */
function storageFull(exception: unknown): boolean {
  for (let e = exception, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  }
  return false;
}

/**
 * MongoDB or Redis not answering (down, restarting, unreachable): a 503 the client may retry, not a 500. The
 * drivers' error names, stable across their versions.
 */
function dependencyDown(exception: unknown): boolean {
  const name = (exception as { name?: unknown } | null)?.name;
  if (typeof name !== 'string') return false;
  if (/^Mongo(ose)?(Network|NetworkTimeout|ServerSelection|TopologyClosed|NotConnected)Error$/.test(name)) return true;
  const message = String((exception as { message?: unknown }).message ?? '');
  return (name === 'MongooseError' && /buffering timed out/.test(message)) || (name === 'Error' && /Connection is closed|Stream isn't writeable|ECONNREFUSED/.test(message));
}
