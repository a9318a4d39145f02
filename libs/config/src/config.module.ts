import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, type ResolvedConfig } from './app-config.js';
import { sectionProviders } from './config-sections.js';

/** Makes each section of the resolved configuration injectable on its own (InjectConfig), everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    const providers = [{ provide: APP_CONFIG, useValue: config }, ...sectionProviders(config)];
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
