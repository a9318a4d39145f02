import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ImageListQuery, UNLISTED_STATUSES } from '@glimpse/domain';
import { listFilter } from './image-list-filter.js';

const query = (q: Partial<ImageListQuery>): ImageListQuery => ({
  visibility: null, memberStatus: 'accepted', osHidden: false, tags: [], properties: {},
  sort: [{ key: 'created_at', dir: 'desc' }, { key: 'id', dir: 'desc' }], limit: 25, ...q,
});
const scope = { projectId: 'p1', isAdmin: false, memberImageIds: [] };

describe('list filter shape', () => {
  it('puts equalities on plain values at the top level (FerretDB pushes only those down) and the rest under $and', () => {
    const f = listFilter(query({ name: { eq: 'n' }, id: { eq: 'i' }, minRam: 5, protected: true, status: { in: ['active', 'queued'] }, tags: ['t'] }), scope);
    assert.deepEqual(Object.keys(f).sort(), ['$and', '_id', 'minRam', 'name', 'osHidden', 'protected']);
    assert.equal(f.name, 'n');
    assert.equal(f.osHidden, false);
    const and = f.$and as Record<string, unknown>[];
    assert.deepEqual(and.slice(1), [{ status: { $nin: UNLISTED_STATUSES } }, { status: { $in: ['active', 'queued'] } }, { tags: { $all: ['t'] } }]);
  });
});
