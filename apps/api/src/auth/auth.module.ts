import { Module } from '@nestjs/common';
import { type ConfigOf, configToken } from '@glimpse/config';
import { CLOCK, type Clock } from '@glimpse/domain';
import { AUTHENTICATOR, type Authenticator } from './authenticator.js';
import { AuthMiddleware } from './auth.middleware.js';
import { KeystoneAuthenticator } from './keystone.authenticator.js';
import { NoauthAuthenticator } from './noauth.authenticator.js';
import { TokensAuthenticator } from './tokens.authenticator.js';

/** Picks the authenticator named by GLIMPSE_AUTH: noauth, tokens or keystone. */
@Module({
  providers: [
    {
      provide: AUTHENTICATOR,
      inject: [configToken('auth'), CLOCK],
      useFactory: (auth: ConfigOf<'auth'>, clock: Clock): Authenticator => {
        if (auth.mode === 'keystone') return new KeystoneAuthenticator(auth.keystone!, clock);
        return auth.mode === 'tokens' ? new TokensAuthenticator(auth.tokensFile!) : new NoauthAuthenticator(auth);
      },
    },
    AuthMiddleware,
  ],
  exports: [AUTHENTICATOR, AuthMiddleware],
})
export class AuthModule {}
