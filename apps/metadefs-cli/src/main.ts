/**
 * glimpse-metadefs: loads metadata definition files into Glimpse's database.
 *
 *   glimpse-metadefs load <dir> [--replace]
 *
 * <dir> holds Glance-format *.json files (Debian's glance-common installs Glance's own set under
 * /etc/glance/metadefs). Existing namespaces are kept unless --replace. Uses the same MONGODB_URI /
 * GLIMPSE_* settings as the services.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClockModule } from '@glimpse/common';
import { ConfigModule, runWithConfig } from '@glimpse/config';
import { ensureLocalServices } from '@glimpse/local-services';
import { MetadefRepository, MetadefsPersistenceModule, PersistenceModule } from '@glimpse/persistence';
import { MetadefLoader } from './metadef-loader.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { replace: { type: 'boolean', default: false } } });

if (positionals[0] !== 'load' || !positionals[1] || positionals.length > 2) {
  process.stderr.write('usage: glimpse-metadefs load <dir> [--replace]\n');
  process.exit(2);
}
const dir = positionals[1];

await runWithConfig(async (base) => {
  const services = await ensureLocalServices(base);
  @Module({ imports: [ConfigModule.forRoot(services.config), ClockModule.forRoot(), PersistenceModule.forRoot(), MetadefsPersistenceModule] })
  class LoaderModule {}
  const app = await NestFactory.createApplicationContext(LoaderModule, { logger: ['error'] });
  let failed = 0;
  try {
    const summary = await new MetadefLoader(app.get(MetadefRepository)).loadDirectory(dir, { replace: values.replace });
    for (const ns of summary.loaded) console.log(`loaded\t${ns}`);
    for (const ns of summary.skipped) console.log(`skipped\t${ns} (exists; --replace to reload)`);
    for (const f of summary.failed) console.error(`failed\t${f.file}: ${f.error}`);
    console.log(`${summary.loaded.length} loaded, ${summary.skipped.length} skipped, ${summary.failed.length} failed`);
    failed = summary.failed.length;
  } catch (err) {
    console.error((err as Error).message);
    failed = 1;
  } finally {
    await app.close();
    await services.stop();
  }
  process.exit(failed ? 1 : 0);
});
