import { Inject } from '@nestjs/common';
import type { ResolvedConfig } from './app-config.js';

/** A top-level section of the configuration (`storage`, `import`, `queue`, …). */
export type ConfigSection = keyof ResolvedConfig;

/** What one section holds: `ConfigOf<'storage'>` is the storage settings and nothing else. */
export type ConfigOf<S extends ConfigSection> = ResolvedConfig[S];

const tokens = new Map<ConfigSection, symbol>();

/** The injection token of one section (ConfigModule provides one per section of the loaded configuration). */
export function configToken(section: ConfigSection): symbol {
  let token = tokens.get(section);
  if (!token) tokens.set(section, (token = Symbol(`config.${section}`)));
  return token;
}

/**
 * Injects one section of the configuration, so a class takes only the settings it uses:
 * `constructor(@InjectConfig('storage') private readonly storage: ConfigOf<'storage'>)`.
 */
export const InjectConfig = (section: ConfigSection): PropertyDecorator & ParameterDecorator => Inject(configToken(section));

/** The providers of every section of `config`, for ConfigModule. */
export function sectionProviders(config: ResolvedConfig): Array<{ provide: symbol; useValue: unknown }> {
  return (Object.keys(config) as ConfigSection[]).map((section) => ({ provide: configToken(section), useValue: config[section] }));
}
