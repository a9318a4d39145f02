import { Inject, Injectable } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { type Clock, CLOCK, GlimpseError } from '@glimpse/domain';
import { AUTHENTICATOR, type Authenticator } from '../auth/authenticator.js';
import { type ConsoleSession, ConsoleSessions } from './console-sessions.js';

/**
 * Checks a session's token again once GLIMPSE_CONSOLE_RECHECK_SECONDS have passed since its last check (keystone:
 * GET /v3/auth/tokens, never the API's validation cache), so a revoked or expired token ends the session within
 * that bound. One check per session at a time in this process; the time of the last check lives with the session
 * in Redis, so every replica shares it.
 */
@Injectable()
export class SessionRecheck {
  private readonly pending = new Map<string, Promise<ConsoleSession | null>>();
  private readonly recheckMs: number;

  constructor(
    private readonly sessions: ConsoleSessions,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator,
    @InjectConfig('console') consoleConfig: ConfigOf<'console'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.recheckMs = consoleConfig.recheckMs;
  }

  /** Whether `session` needs a check now (a session without a token, noauth's, has nothing to check). */
  due(session: ConsoleSession, now = this.clock.now()): boolean {
    return session.token !== undefined && this.authenticator.fromToken !== undefined && now - (session.checkedAt ?? 0) >= this.recheckMs;
  }

  /**
   * The session as its token stands now: itself when no check is due, the same session with the identity the check
   * found, or null when the token is no longer valid. An identity service that does not answer throws (503), never
   * lets the session through unchecked.
   */
  current(session: ConsoleSession): Promise<ConsoleSession | null> {
    if (!this.due(session)) return Promise.resolve(session);
    const running = this.pending.get(session.id);
    if (running) return running;
    const check = this.check(session).finally(() => this.pending.delete(session.id));
    this.pending.set(session.id, check);
    return check;
  }

  private async check(session: ConsoleSession): Promise<ConsoleSession | null> {
    const at = this.clock.now();
    try {
      const context = await this.authenticator.fromToken!(session.token!, { fresh: true });
      return await this.sessions.checked(session, context, at);
    } catch (err) {
      if (err instanceof GlimpseError && err.kind === 'unauthorized') return null;
      throw err;
    }
  }
}
