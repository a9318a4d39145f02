import type { NestExpressApplication } from '@nestjs/platform-express';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '@glimpse/config';
import { createLogger } from '@glimpse/common';
import { createApiApp } from '../../apps/api/src/create-api-app.js';

export interface RunningApi {
  app: NestExpressApplication;
  url: string;
  close(options?: { dropDatabase?: boolean }): Promise<void>;
}

/** The real API app listening on an ephemeral loopback port. */
export async function startApi(config: ResolvedConfig, logger: Logger = createLogger({ level: config.log.level, pretty: false, name: 'test-api' })): Promise<RunningApi> {
  const app = await createApiApp(config, logger);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    close: async ({ dropDatabase = true } = {}) => {
      if (dropDatabase) await app.get<Connection>(getConnectionToken()).dropDatabase().catch(() => undefined);
      await app.close();
      if (config.dataDir.startsWith(tmpdir())) rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
