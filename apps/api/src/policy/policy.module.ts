import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { Policy } from '@glimpse/domain';

/** The one policy engine every service asks (GLIMPSE_POLICY_DEFAULTS, GLIMPSE_POLICY_FILE, GLIMPSE_POLICY_ENFORCE_SCOPE). */
@Global()
@Module({
  providers: [{ provide: Policy, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new Policy(config.policy) }],
  exports: [Policy],
})
export class PolicyModule {}
