import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KeystoneConfig } from '@glimpse/config';
import { GlimpseError } from '@glimpse/domain';
import { contextOf, KeystoneAuthenticator } from './keystone.authenticator.js';
import { TtlCache } from './ttl-cache.js';

describe('keystone token → request context', () => {
  it('takes project, user, lowercased roles and the project domain; admin role makes an admin', () => {
    const ctx = contextOf({
      expires_at: '2030-01-01T00:00:00Z',
      user: { id: 'u1', domain: { id: 'default' } },
      project: { id: 'p1', domain: { id: 'd1' } },
      roles: [{ name: 'Member' }, { name: 'ADMIN' }, { name: 'reader' }],
    });
    assert.deepEqual(ctx, { projectId: 'p1', userId: 'u1', roles: ['member', 'admin', 'reader'], isAdmin: true, domainId: 'd1', systemScope: null });
  });

  it('a system-scoped token has no project and says so', () => {
    const ctx = contextOf({ expires_at: '2030-01-01T00:00:00Z', user: { id: 'u1' }, system: { all: true }, roles: [{ name: 'reader' }] });
    assert.equal(ctx.projectId, null);
    assert.equal(ctx.systemScope, 'all');
    assert.equal(ctx.isAdmin, false);
  });
});

describe('TtlCache', () => {
  it('forgets entries at their expiry and drops the oldest when full', () => {
    const cache = new TtlCache<number>(2);
    cache.set('a', 1, 100);
    cache.set('b', 2, 200);
    assert.equal(cache.get('a', 99), 1);
    assert.equal(cache.get('a', 100), undefined);
    cache.set('c', 3, 300);
    cache.set('d', 4, 300);
    assert.equal(cache.get('b', 0), undefined);
    assert.equal(cache.get('d', 0), 4);
  });
});

const T0 = Date.UTC(2026, 11, 4, 12);
const HOUR = 3600_000;
const MINUTE = 60_000;

/** An authenticator over a fake Keystone (service tokens valid for an hour, callers' tokens until `expiresAt`), on a clock the test moves. */
function keystoneOn(cacheMs: number, expiresAt = T0 + 2 * HOUR) {
  const clock = { at: T0, now: () => clock.at };
  const calls = { issued: 0, validations: [] as string[] };
  const client = {
    issueServiceToken: async () => ({ id: `svc-${++calls.issued}`, expiresAt: clock.at + HOUR }),
    issueUserToken: async () => null,
    validate: async (service: string) => {
      calls.validations.push(service);
      return { ok: true as const, token: { expires_at: new Date(expiresAt).toISOString(), user: { id: 'u' }, project: { id: 'p' }, roles: [] } };
    },
  };
  const config = { url: 'http://keystone.invalid', cacheMs, timeoutMs: 1000 } as KeystoneConfig;
  return { auth: new KeystoneAuthenticator(config, clock, client), clock, calls };
}

describe('the Keystone authenticator keeps time by its clock', () => {
  it("renews its service token a minute before the token's expiry, not after it", async () => {
    const { auth, clock, calls } = keystoneOn(0);
    await auth.fromToken('a');
    clock.at = T0 + HOUR - MINUTE - 1;
    await auth.fromToken('b');
    assert.deepEqual(calls.validations, ['svc-1', 'svc-1'], 'the service token is reused while it has more than a minute left');
    clock.at = T0 + HOUR - MINUTE;
    await auth.fromToken('c');
    assert.equal(calls.issued, 2);
    assert.deepEqual(calls.validations, ['svc-1', 'svc-1', 'svc-2'], 'renewed before it expired');
  });

  it('serves a validation from its cache for the cache time, then asks Keystone again', async () => {
    const { auth, clock, calls } = keystoneOn(5 * MINUTE);
    await auth.fromToken('a');
    clock.at = T0 + 5 * MINUTE - 1;
    await auth.fromToken('a');
    assert.equal(calls.validations.length, 1, 'cached');
    clock.at = T0 + 5 * MINUTE;
    await auth.fromToken('a');
    assert.equal(calls.validations.length, 2, 'the cache time passed');
  });

  it("never serves a cached validation past the token's expiry: the expired token is refused", async () => {
    const { auth, clock, calls } = keystoneOn(5 * MINUTE, T0 + 2 * MINUTE);
    await auth.fromToken('a');
    clock.at = T0 + 2 * MINUTE - 1;
    assert.equal((await auth.fromToken('a')).projectId, 'p');
    assert.equal(calls.validations.length, 1);
    clock.at = T0 + 2 * MINUTE;
    await assert.rejects(auth.fromToken('a'), (err: unknown) => err instanceof GlimpseError && err.kind === 'unauthorized');
    assert.equal(calls.validations.length, 2);
  });
});
