import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, type ResolvedConfig } from './app-config.js';

/** Makes the resolved configuration injectable as APP_CONFIG everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
