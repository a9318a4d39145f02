import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { ResolvedConfig } from './app-config.js';
import { sectionProviders } from './config-sections.js';

/**
 * Makes each section of the resolved configuration injectable on its own (InjectConfig), everywhere. The whole
 * configuration is not injectable: a class names the sections it reads.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    const providers = sectionProviders(config);
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
