import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '../task/task.js';
import { hasImportLock, holdsImportLock, importLockHolder, importLockIsStale, storeList, withImportLock, withoutImportLock } from './import-lock.js';

const HOUR = 3600_000;
const now = new Date('2026-11-24T12:00:00Z');
const task = (status: Task['status'], ageMs: number) => ({ status, updatedAt: new Date(now.getTime() - ageMs) }) as Task;

describe('import lock staleness', () => {
  it('keeps a lock whose task moved recently', () => {
    assert.equal(importLockIsStale(task('processing', 59 * 60_000), now, HOUR), false);
    assert.equal(importLockIsStale(task('pending', 119 * 60_000), now, HOUR), false);
  });
  it('frees it after the timeout (twice that while pending), when the task is gone or finished', () => {
    assert.equal(importLockIsStale(task('processing', 61 * 60_000), now, HOUR), true);
    assert.equal(importLockIsStale(task('pending', 121 * 60_000), now, HOUR), true);
    assert.equal(importLockIsStale(null, now, HOUR), true);
    assert.equal(importLockIsStale(task('success', 0), now, HOUR), true);
    assert.equal(importLockIsStale(task('failure', 0), now, HOUR), true);
  });
  it('reads store lists', () => {
    assert.deepEqual(storeList(undefined), []);
    assert.deepEqual(storeList(' a, b ,,c'), ['a', 'b', 'c']);
  });
  it('gives, checks and drops the lock without touching other properties', () => {
    const locked = withImportLock({ keep: 'me' }, 't1');
    assert.equal(importLockHolder({ properties: locked }), 't1');
    assert.equal(holdsImportLock({ properties: locked }, 't1'), true);
    assert.equal(holdsImportLock({ properties: locked }, 't2'), false);
    assert.equal(hasImportLock(locked), true);
    assert.deepEqual(withoutImportLock(locked), { keep: 'me' });
    assert.equal(hasImportLock(withoutImportLock(locked)), false);
  });
});
