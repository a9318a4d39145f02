import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { GlimpseError } from '@glimpse/domain';
import { KeyedTurns, retryWhileBusy } from './contention.js';

describe('KeyedTurns', () => {
  it('runs the callers of one key one at a time, in arrival order, and those of other keys alongside', async () => {
    const turns = new KeyedTurns();
    const log: string[] = [];
    let inside = 0;
    const work = (name: string) => async () => {
      inside++;
      assert.equal(inside, 1, `${name} ran while another held the key`);
      log.push(`${name}+`);
      await sleep(5);
      log.push(`${name}-`);
      inside--;
      return name;
    };
    const other = turns.run('b', async () => log.push('b'));
    const results = await Promise.all(['1', '2', '3'].map((n) => turns.run('a', work(n))));
    await other;
    assert.deepEqual(results, ['1', '2', '3']);
    assert.deepEqual(log.filter((l) => l !== 'b'), ['1+', '1-', '2+', '2-', '3+', '3-']);
    assert.ok(log.indexOf('b') < log.indexOf('1-'), 'another key waited for key a');
    assert.equal(turns.held('a'), false);
  });

  it('a caller that waited past its deadline gets a retryable busy error, and the key still passes on', async () => {
    const turns = new KeyedTurns();
    let release!: () => void;
    const holder = turns.run('k', () => new Promise<void>((r) => (release = r)));
    const late = turns.run('k', async () => 'never', Date.now() + 20);
    const next = turns.run('k', async () => 'next');
    await assert.rejects(late, (err: unknown) => err instanceof GlimpseError && err.kind === 'unavailable' && /busy; try again/.test(err.message));
    release();
    await holder;
    assert.equal(await next, 'next');
    assert.equal(turns.held('k'), false);
  });

  it('a failing caller passes the key on', async () => {
    const turns = new KeyedTurns();
    await assert.rejects(turns.run('k', async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await turns.run('k', async () => 'after'), 'after');
  });
});

describe('retryWhileBusy', () => {
  it('runs the attempt again until it returns a result', async () => {
    let calls = 0;
    assert.equal(await retryWhileBusy('x', async () => (++calls < 4 ? null : 'done')), 'done');
    assert.equal(calls, 4);
  });

  it('gives up with a retryable busy error once the deadline has passed', async () => {
    await assert.rejects(
      retryWhileBusy('The record r', async () => null, Date.now() + 10),
      (err: unknown) => err instanceof GlimpseError && err.kind === 'unavailable' && err.message === 'The record r is busy; try again.',
    );
  });
});
