import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
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
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): Authenticator => {
        if (config.auth.mode === 'keystone') return new KeystoneAuthenticator(config.auth.keystone!);
        return config.auth.mode === 'tokens' ? new TokensAuthenticator(config.auth.tokensFile!) : new NoauthAuthenticator(config.auth);
      },
    },
    AuthMiddleware,
  ],
  exports: [AUTHENTICATOR, AuthMiddleware],
})
export class AuthModule {}
