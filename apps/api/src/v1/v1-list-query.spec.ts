import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GlimpseError, type RequestContext } from '@glimpse/domain';
import { parseV1ListQuery } from './v1-list-query.js';

const user: RequestContext = { projectId: 'p1', userId: 'u1', roles: ['member'], isAdmin: false };
const admin: RequestContext = { projectId: 'pa', userId: 'ua', roles: ['admin'], isAdmin: true };
const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof GlimpseError && err.kind === 'invalid') return err.message;
    throw err;
  }
  return 'accepted';
};

describe('v1 list query', () => {
  it('reads glanceclient image-list filters, literal values, default sort created_at desc with ties', () => {
    const q = parseV1ListQuery(
      {
        limit: '5', sort_key: 'size', sort_dir: 'desc', 'property-os_distro': 'cirros', name: 'in:a,b', status: 'active', container_format: 'bare',
        disk_format: 'qcow2', size_min: '10', size_max: '100000', is_public: 'False', 'changes-since': '2016-01-01T00:00:00Z', visibility: 'ignored',
      },
      user,
    );
    assert.deepEqual(q.name, { eq: 'in:a,b' });
    assert.deepEqual(q.status, { eq: 'active' });
    assert.equal(q.sizeMin, 10);
    assert.equal(q.sizeMax, 100000);
    assert.deepEqual(q.properties, { os_distro: 'cirros' });
    assert.deepEqual(q.sort, [{ key: 'size', dir: 'desc' }, { key: 'created_at', dir: 'desc' }, { key: 'id', dir: 'desc' }]);
    assert.equal(q.limit, 5);
    assert.equal(q.v1Scope, 'caller', 'is_public is ignored for non-admins');
    assert.equal(q.includeUnlisted, true);
    assert.deepEqual(q.updatedAt, { op: 'gt', value: new Date('2016-01-01T00:00:00Z') });
    const d = parseV1ListQuery({}, user);
    assert.deepEqual(d.sort, [{ key: 'created_at', dir: 'desc' }, { key: 'id', dir: 'desc' }]);
    assert.equal(d.limit, 25);
    assert.equal(d.includeUnlisted, false);
    assert.equal(d.osHidden, false);
    assert.equal(parseV1ListQuery({ limit: '5000' }, user).limit, 1000);
  });

  it("gives is_public its meaning for admins only", () => {
    assert.equal(parseV1ListQuery({ is_public: 'None' }, admin).v1Scope, 'all-projects');
    assert.equal(parseV1ListQuery({ is_public: 'false' }, admin).v1Scope, 'non-public');
    assert.equal(parseV1ListQuery({ is_public: 'TRUE' }, admin).v1Scope, 'caller');
    assert.equal(parseV1ListQuery({}, admin).v1Scope, 'caller');
    assert.equal(parseV1ListQuery({ is_public: 'none' }, user).v1Scope, 'caller');
  });

  it('refuses bad values in Glance words', () => {
    assert.equal(message(() => parseV1ListQuery({ sort_key: 'owner' }, user)), 'Unsupported sort_key. Acceptable values: name, status, container_format, disk_format, size, id, created_at, updated_at');
    assert.equal(message(() => parseV1ListQuery({ sort_dir: 'up' }, user)), 'Unsupported sort_dir. Acceptable values: asc, desc');
    assert.equal(message(() => parseV1ListQuery({ limit: 'x' }, user)), 'limit param must be an integer');
    assert.equal(message(() => parseV1ListQuery({ limit: '-1' }, user)), 'limit param must be positive');
    assert.equal(message(() => parseV1ListQuery({ size_min: '-3' }, user)), 'Bad value passed to filter size_min got -3');
    assert.equal(message(() => parseV1ListQuery({ min_disk: 'a' }, user)), 'Bad value passed to filter min_disk got a');
    assert.equal(message(() => parseV1ListQuery({ is_public: 'maybe' }, user)), 'Bad value passed to filter is_public got maybe');
    assert.equal(message(() => parseV1ListQuery({ protected: 'none' }, user)), 'protected must be True, or False');
    assert.equal(message(() => parseV1ListQuery({ 'changes-since': 'yesterday' }, user)), 'Unrecognized changes-since value');
    assert.equal(message(() => parseV1ListQuery({ marker: 'nope' }, user)), 'Invalid marker format');
    assert.equal(message(() => parseV1ListQuery({ 'changes-since': '2016-01-01' }, user)), 'accepted');
  });
});
