import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Image } from '@glimpse/domain';
import { parseImportRequest } from '@glimpse/domain';
import { importTargets, type StoreChoice } from './import-targets.js';

const stores: StoreChoice = { writable: ['fast', 'cheap', 'far'], defaultId: 'fast', multi: true };
const methods = ['glance-direct', 'web-download', 'copy-image'];
const image = (held: string[] = []) =>
  ({ locations: held.map((store) => ({ url: `x://${store}`, store, metadata: {}, status: 'active' })) }) as unknown as Image;
const req = (body: Record<string, unknown>) => parseImportRequest({ method: { name: 'glance-direct' }, ...body }, methods);
const copy = (body: Record<string, unknown>) => parseImportRequest({ method: { name: 'copy-image' }, ...body }, methods);

describe('import target stores', () => {
  it('takes stores, else the header, else the default', () => {
    assert.deepEqual(importTargets(req({ stores: ['cheap', 'far'] }), undefined, image(), stores), ['cheap', 'far']);
    assert.deepEqual(importTargets(req({}), 'far', image(), stores), ['far']);
    assert.deepEqual(importTargets(req({}), undefined, image(), stores), ['fast']);
  });

  it('all_stores means every writable store; copy-image skips the ones holding the image', () => {
    assert.deepEqual(importTargets(req({ all_stores: true }), undefined, image(), stores), ['fast', 'cheap', 'far']);
    assert.deepEqual(importTargets(copy({ all_stores: true }), undefined, image(['fast']), stores), ['cheap', 'far']);
    assert.deepEqual(importTargets(copy({ all_stores: true }), undefined, image(['fast', 'cheap', 'far']), stores), []);
  });

  it('refuses combinations (400), unknown or read-only stores (409) and copying onto a holder (400)', () => {
    assert.throws(() => importTargets(req({ all_stores: true, stores: ['fast'] }), undefined, image(), stores), { kind: 'invalid' });
    assert.throws(() => importTargets(req({ all_stores: true }), 'fast', image(), stores), { kind: 'invalid' });
    assert.throws(() => importTargets(req({ stores: ['fast'] }), 'cheap', image(), stores), { kind: 'invalid' });
    assert.throws(() => importTargets(req({ stores: ['nowhere'] }), undefined, image(), stores), { kind: 'conflict' });
    assert.throws(() => importTargets(copy({ stores: ['fast'] }), undefined, image(['fast']), stores), { kind: 'invalid' });
    assert.throws(() => importTargets(req({ stores: [] }), undefined, image(), stores), { kind: 'invalid' });
  });

  it('allows all_stores_must_succeed=false only with several stores', () => {
    const single: StoreChoice = { writable: ['local'], defaultId: 'local', multi: false };
    assert.throws(() => importTargets(req({ all_stores_must_succeed: false }), undefined, image(), single), { kind: 'invalid' });
    assert.deepEqual(importTargets(req({ all_stores_must_succeed: false }), undefined, image(), stores), ['fast']);
  });
});
