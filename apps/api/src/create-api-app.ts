import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { ResolvedConfig } from '@glimpse/config';
import { PinoNestLogger } from '@glimpse/common';
import { ApiModule } from './api.module.js';
import { answerClientError } from './http/client-error.js';
import { connectAnswerer } from './http/connect-request.js';
import { mountConsole } from './console/mount-console.js';
import { assertJsonDepth } from './http/json-depth.js';
import { requestId } from './http/request-id.js';
import { refuseEncodedNul, refuseNulInBody } from './http/nul-guard.js';
import { versionPrefix } from './http/version-prefix.js';

const PATCH_TYPES = new Set(['application/openstack-images-v2.1-json-patch', 'application/openstack-images-v2.0-json-patch']);

/**
 * Which request bodies the JSON parser reads. Glance reads a POST or PUT body as JSON whatever its Content-Type
 * (text/plain creates an image: shared/reference/glance-responses/v2-images-create-text-plain-content-type.txt);
 * a PATCH only in the media types it names (any other gets the route's 415). Image data routes take raw
 * bodies: a JSON-typed upload is answered 415 by the route, never parsed here.
 */
function readsJson(req: IncomingMessage): boolean {
  if (/^\/console(\/|\?|$)/.test(req.url ?? '')) return false; // the console reads its own forms
  if (/^\/v2\/images\/[^/]+\/(file|stage)\/?(\?|$)/.test(req.url ?? '')) return false;
  // v1's POST /v1/images and PUT /v1/images/{id} carry image data (metadata rides in headers).
  if (/^\/v1\/images(\/[^/?]+)?\/?(\?|$)/.test(req.url ?? '')) return false;
  if (req.method === 'PATCH') return PATCH_TYPES.has((req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase());
  return req.method === 'POST' || req.method === 'PUT';
}

/** Builds the API application (not yet listening). */
export async function createApiApp(config: ResolvedConfig, logger: Logger): Promise<NestExpressApplication> {
  // Strict routing: `/v2/images/` is not `/v2/images` (Glance answers 404 for the former, an empty image id).
  // Express reads the setting when it creates its router, so it is set on the instance Nest is given.
  const server = express();
  server.set('strict routing', true);
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), new ExpressAdapter(server), {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
  });
  app.getHttpServer().on('clientError', answerClientError);
  app.getHttpServer().on('connect', connectAnswerer(server));
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('etag', false);
  app.use(requestId);
  app.use(versionPrefix(config.cache !== null));
  app.use(pinoHttp({ logger, genReqId: (req) => (req as unknown as { id: string }).id, autoLogging: { ignore: (req) => req.url === '/healthz' } }));
  app.use(refuseEncodedNul);
  // express.json itself (not app.useBodyParser, whose options type leaves out `verify`).
  app.use(
    express.json({
      limit: '1mb',
      verify: assertJsonDepth,
      type: readsJson,
    }),
  );
  app.use(refuseNulInBody);
  if (config.console.enabled) mountConsole(app);
  return app;
}
