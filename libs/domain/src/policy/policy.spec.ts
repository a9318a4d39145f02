import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestContext } from '../image/request-context.js';
import { Policy } from './policy.js';
import { parseRule, PolicyRuleError } from './policy-rule.js';

const ctx = (projectId: string | null, ...roles: string[]): RequestContext => ({ projectId, userId: 'u', roles, isAdmin: roles.includes('admin') });
const image = (owner: string, visibility = 'private', member_id: string | null = null) => ({ project_id: owner, owner, visibility, member_id });

describe('policy rules (oslo.policy language)', () => {
  it('parses and, or, not, parentheses, @, ! and checks with target references and literals', () => {
    assert.deepEqual(parseRule(''), { kind: 'always' });
    assert.deepEqual(parseRule('role:admin or (role:member and project_id:%(project_id)s)'), {
      kind: 'or',
      of: [
        { kind: 'check', key: 'role', match: 'admin' },
        { kind: 'and', of: [{ kind: 'check', key: 'role', match: 'member' }, { kind: 'check', key: 'project_id', match: '%(project_id)s' }] },
      ],
    });
    assert.deepEqual(parseRule("not 'public':%(visibility)s"), { kind: 'not', of: { kind: 'check', key: "'public'", match: '%(visibility)s' } });
    for (const bad of ['role:admin or', '(role:admin', 'role:admin)', 'and', 'admin']) assert.throws(() => parseRule(bad), PolicyRuleError, bad);
  });
});

describe('policy engine: Glance secure-RBAC defaults', () => {
  const policy = new Policy({ defaults: 'secure-rbac', overrides: {}, enforceScope: true });

  it('readers read, members change what their project owns, admins anything', () => {
    assert.equal(policy.allows(ctx('p1', 'reader'), 'get_image', image('p1')), true);
    assert.equal(policy.allows(ctx('p1', 'reader'), 'modify_image', image('p1')), false);
    assert.equal(policy.allows(ctx('p1', 'reader'), 'download_image', image('p1')), false);
    assert.equal(policy.allows(ctx('p1', 'member'), 'modify_image', image('p1')), true, 'member implies reader and may modify');
    assert.equal(policy.allows(ctx('p1', 'member'), 'get_image', image('p1')), true);
    assert.equal(policy.allows(ctx('p2', 'member'), 'modify_image', image('p1')), false);
    assert.equal(policy.allows(ctx('p2', 'member'), 'get_image', image('p1')), false);
    assert.equal(policy.allows(ctx('p2', 'member'), 'get_image', image('p1', 'public')), true);
    assert.equal(policy.allows(ctx('p2', 'member'), 'get_image', image('p1', 'shared', 'p2')), true);
    assert.equal(policy.allows(ctx('p9', 'admin'), 'modify_image', image('p1')), true);
  });

  it('publicizing needs the admin role; creating needs membership of the owning project', () => {
    assert.equal(policy.allows(ctx('p1', 'member'), 'publicize_image', image('p1')), false);
    assert.equal(policy.allows(ctx('p1', 'member'), 'communitize_image', image('p1')), true);
    assert.equal(policy.allows(ctx('p1', 'member'), 'add_image', image('p1')), true);
    assert.equal(policy.allows(ctx('p1', 'member'), 'add_image', image('p2')), false);
    assert.equal(policy.allows(ctx('p1', 'reader'), 'add_image', image('p1')), false);
  });

  it('only the member project (or an admin) changes a membership', () => {
    assert.equal(policy.allows(ctx('p2', 'member'), 'modify_member', image('p1', 'shared', 'p2')), true);
    assert.equal(policy.allows(ctx('p1', 'member'), 'modify_member', image('p1', 'shared', null)), false);
  });

  it('refuses tokens scoped to the system or a domain, even with the admin role', () => {
    const system: RequestContext = { ...ctx(null, 'admin'), systemScope: 'all' };
    assert.equal(policy.allows(system, 'get_images', { project_id: null }), false);
    assert.equal(policy.allows(system, 'get_image', image('p1', 'public')), false);
    const unscoped = new Policy({ defaults: 'secure-rbac', overrides: {}, enforceScope: false });
    assert.equal(unscoped.allows(system, 'get_image', image('p1', 'public')), true);
  });
});

describe('policy engine: overrides and legacy defaults', () => {
  it('an operator rule replaces the default, and rule: references resolve (unknown ones fail closed)', () => {
    const policy = new Policy({ defaults: 'secure-rbac', overrides: { image_admin: 'role:image_admin', publicize_image: 'rule:image_admin or role:admin', add_image: 'rule:nonexistent' }, enforceScope: true });
    assert.equal(policy.allows(ctx('p1', 'image_admin'), 'publicize_image', image('p1')), true);
    assert.equal(policy.allows(ctx('p1', 'member'), 'publicize_image', image('p1')), false);
    assert.equal(policy.allows(ctx('p1', 'member'), 'add_image', image('p1')), false);
    // A rule that refers to itself cannot loop.
    const loop = new Policy({ defaults: 'secure-rbac', overrides: { a: 'rule:b', b: 'rule:a', get_images: 'rule:a' }, enforceScope: true });
    assert.equal(loop.allows(ctx('p1', 'member'), 'get_images', {}), false);
  });

  it('legacy: empty rules allow, admin-only rules stay admin-only, unknown actions fall back to default', () => {
    const legacy = new Policy({ defaults: 'legacy', overrides: {}, enforceScope: true });
    assert.equal(legacy.allows(ctx('p1', 'reader'), 'modify_image', image('p1')), true);
    assert.equal(legacy.allows(ctx('p1', 'member'), 'publicize_image', image('p1')), false);
    assert.equal(legacy.allows(ctx('p1', 'member'), 'some_future_action', {}), true);
    const strict = new Policy({ defaults: 'legacy', overrides: { default: 'role:admin' }, enforceScope: true });
    assert.equal(strict.allows(ctx('p1', 'member'), 'some_future_action', {}), false);
  });
});
