import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextOf } from './keystone.authenticator.js';
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
