import { Global, Module } from '@nestjs/common';
import { type ConfigOf, configToken } from '@glimpse/config';
import { Policy } from '@glimpse/domain';

/** The one policy engine every service asks (GLIMPSE_POLICY_DEFAULTS, GLIMPSE_POLICY_FILE, GLIMPSE_POLICY_ENFORCE_SCOPE). */
@Global()
@Module({
  providers: [{ provide: Policy, inject: [configToken('policy')], useFactory: (policy: ConfigOf<'policy'>) => new Policy(policy) }],
  exports: [Policy],
})
export class PolicyModule {}
