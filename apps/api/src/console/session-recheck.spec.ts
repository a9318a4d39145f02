import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GlimpseError, type RequestContext } from '@glimpse/domain';
import type { Authenticator } from '../auth/authenticator.js';
import type { ConsoleSession, ConsoleSessions } from './console-sessions.js';
import { SessionRecheck } from './session-recheck.js';

const admin: RequestContext = { projectId: 'p', userId: 'u', roles: ['admin'], isAdmin: true };

/** A recheck over a fake authenticator (valid tokens in a set) and a fake session store (records the checks). */
function setup(recheckMs: number) {
  let now = 1_700_000_000_000;
  const clock = { now: () => now };
  const valid = new Set(['good']);
  const asked: Array<{ token: string; fresh?: boolean }> = [];
  let answer: () => Promise<void> = async () => undefined;
  const authenticator: Authenticator = {
    authenticate: () => Promise.reject(new Error('not used')),
    fromToken: async (token, options) => {
      asked.push({ token, fresh: options?.fresh });
      await answer();
      if (!valid.has(token)) throw new GlimpseError('unauthorized', 'no');
      return admin;
    },
  };
  const checks: number[] = [];
  const sessions = { checked: async (s: ConsoleSession, context: RequestContext, at: number) => (checks.push(at), { ...s, context, checkedAt: at }) } as unknown as ConsoleSessions;
  const recheck = new SessionRecheck(sessions, authenticator, { enabled: true, sessionMs: 3_600_000, recheckMs }, clock);
  const session = (token: string | undefined, checkedAt: number): ConsoleSession => ({ id: 'sid', context: admin, csrf: 'c', expiresAt: now + 60_000, ...(token ? { token, checkedAt } : {}) });
  return { valid, asked, checks, recheck, session, clock, advance: (ms: number) => (now += ms), setAnswer: (fn: () => Promise<void>) => (answer = fn) };
}

describe('console session re-check', () => {
  it('asks nothing while the last check is younger than the bound, and nothing for a session without a token', async () => {
    const t = setup(30_000);
    const s = t.session('good', t.clock.now());
    assert.equal(await t.recheck.current(s), s);
    const noauth = t.session(undefined, 0);
    assert.equal(await t.recheck.current(noauth), noauth);
    assert.deepEqual(t.asked, []);
  });

  it('past the bound, asks the authenticator afresh (not its cache) and records the check', async () => {
    const t = setup(30_000);
    const next = await t.recheck.current(t.session('good', t.clock.now() - 30_000));
    assert.deepEqual(t.asked, [{ token: 'good', fresh: true }]);
    assert.deepEqual(t.checks, [t.clock.now()], 'the check is recorded at the clock\'s now');
    assert.equal(t.recheck.due(next!), false);
    t.advance(29_999);
    assert.equal(t.recheck.due(next!), false, 'one millisecond short of the bound');
    t.advance(1);
    assert.equal(t.recheck.due(next!), true, 'due once the clock reaches the bound');
  });

  it('a token no longer valid gives no session; an identity service that fails is an error, not a pass', async () => {
    const t = setup(0);
    t.valid.delete('good');
    assert.equal(await t.recheck.current(t.session('good', t.clock.now())), null);
    t.setAnswer(() => Promise.reject(new GlimpseError('unavailable', 'Keystone is down')));
    await assert.rejects(t.recheck.current(t.session('good', t.clock.now())), /Keystone is down/);
  });

  it('requests of one session at the same time share one check', async () => {
    const t = setup(0);
    let release!: () => void;
    t.setAnswer(() => new Promise<void>((r) => (release = r)));
    const s = t.session('good', 0);
    const both = Promise.all([t.recheck.current(s), t.recheck.current(s)]);
    await new Promise((r) => setImmediate(r));
    release();
    const [a, b] = await both;
    assert.equal(t.asked.length, 1);
    assert.equal(a, b);
  });
});
