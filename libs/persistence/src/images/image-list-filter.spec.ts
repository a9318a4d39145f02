import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ImageListQuery, UNLISTED_STATUSES } from '@glimpse/domain';
import { listFilter, listFilterBranches } from './image-list-filter.js';

const query = (q: Partial<ImageListQuery>): ImageListQuery => ({
  visibility: null, memberStatus: 'accepted', osHidden: false, tags: [], properties: {},
  sort: [{ key: 'created_at', dir: 'desc' }, { key: 'id', dir: 'desc' }], limit: 25, ...q,
});
const scope = { projectId: 'p1', isAdmin: false, memberImageIds: [] };

describe('list filter shape', () => {
  it('puts equalities on plain values at the top level (FerretDB pushes only those down) and the rest under $and', () => {
    const f = listFilter(query({ name: { eq: 'n' }, id: { eq: 'i' }, minRam: 5, protected: true, status: { in: ['active', 'queued'] }, tags: ['t'] }), scope);
    assert.deepEqual(Object.keys(f).sort(), ['$and', '_id', 'minRam', 'name', 'osHidden', 'protected', 'tags']);
    assert.equal(f.name, 'n');
    assert.equal(f.osHidden, false);
    assert.equal(f.tags, 't');
    const and = f.$and as Record<string, unknown>[];
    assert.deepEqual(and, [{ status: { $nin: UNLISTED_STATUSES } }, { status: { $in: ['active', 'queued'] } }, { $or: [{ visibility: 'public' }, { owner: 'p1' }] }]);
  });

  it('puts one tag, one property pair and a scope without $or at the top level too, the rest under $and', () => {
    const f = listFilter(query({ tags: ['a', 'b'], properties: { k: 'v', k2: 'v2' }, visibility: 'private' }), scope);
    assert.equal(f.tags, 'a');
    assert.equal(f.propPairs, JSON.stringify(['k', 'v']));
    assert.equal(f.visibility, 'private');
    assert.equal(f.owner, 'p1');
    const and = f.$and as Record<string, unknown>[];
    assert.ok(and.some((c) => JSON.stringify(c) === JSON.stringify({ tags: { $all: ['a', 'b'] } })));
    // An owner filter and the scope's owner are both kept: the scope's goes under $and.
    const g = listFilter(query({ owner: 'p2', visibility: 'private' }), scope);
    assert.equal(g.owner, 'p2');
    assert.ok((g.$and as Record<string, unknown>[]).some((c) => c.owner === 'p1'));
  });

  it('splits a scope of plain branches into one filter per branch, each branch at the top level; any other scope is one filter', () => {
    const [pub, own, ...more] = listFilterBranches(query({ tags: ['t'] }), scope);
    assert.equal(more.length, 0);
    assert.equal(pub!.visibility, 'public');
    assert.equal(own!.owner, 'p1');
    for (const f of [pub!, own!]) {
      assert.equal(f.tags, 't');
      assert.ok(!JSON.stringify(f.$and).includes('$or'), JSON.stringify(f));
    }
    // A branch whose key the filters already hold goes under $and (it still must match).
    const [, owned] = listFilterBranches(query({ owner: 'p2' }), scope);
    assert.equal(owned!.owner, 'p2');
    assert.ok((owned!.$and as Record<string, unknown>[]).some((c) => c.owner === 'p1'));
    // Member images ($in, not pushed down), an admin's $ne: the one filter listFilter makes.
    const member = { ...scope, memberImageIds: ['i1'] };
    assert.deepEqual(listFilterBranches(query({}), member), [listFilter(query({}), member)]);
    const admin = { ...scope, isAdmin: true };
    assert.deepEqual(listFilterBranches(query({}), admin), [listFilter(query({}), admin)]);
  });
});
