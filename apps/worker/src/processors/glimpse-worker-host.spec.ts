import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Job, UnrecoverableError } from 'bullmq';
import { busy, conflict, GlimpseError, invalid, unavailable } from '@glimpse/domain';
import { LocationNotFound } from '@glimpse/storage';
import { DownloadError } from '@glimpse/web-download';
import { type Attempt, GlimpseWorkerHost } from './glimpse-worker-host.js';
import { isRetryable, messageOf } from './job-failure.js';

/** A processor whose handler does what the test says, recording what it was told. */
class Probe extends GlimpseWorkerHost {
  attempts: Attempt[] = [];
  endedFor: string[] = [];
  constructor(private readonly work: () => Promise<unknown>) {
    super();
  }
  protected handle(_job: Job, attempt: Attempt): Promise<unknown> {
    this.attempts.push(attempt);
    return this.work();
  }
  protected override async ended(job: Job): Promise<void> {
    this.endedFor.push(String(job.id));
  }
}

const job = (attemptsMade: number, attempts: number) => ({ id: `j${attemptsMade}`, name: 'x', attemptsMade, opts: { attempts } }) as unknown as Job;

describe('the job contract (GlimpseWorkerHost)', () => {
  it('tells the handler whether this run is the last attempt', async () => {
    const probe = new Probe(async () => 'ok');
    assert.equal(await probe.process(job(0, 3)), 'ok');
    assert.equal(await probe.process(job(2, 3)), 'ok');
    assert.equal(await probe.process(job(0, 1)), 'ok');
    assert.deepEqual(probe.attempts.map((a) => a.final), [false, true, true]);
    assert.ok(probe.attempts.every((a) => a.signal instanceof AbortSignal));
  });

  it('a busy record or an unavailable service is retried (not the last attempt: the job is not over)', async () => {
    for (const err of [busy('The record images:x is busy; try again.'), unavailable('store down'), new Error('ECONNRESET')]) {
      const probe = new Probe(async () => Promise.reject(err));
      await assert.rejects(probe.process(job(0, 3)), (thrown: unknown) => thrown === err && !(thrown instanceof UnrecoverableError));
      assert.deepEqual(probe.endedFor, [], err.message);
    }
  });

  it('a failure that retrying cannot help stops the job at once, and the job is over', async () => {
    for (const err of [conflict('no longer locked'), invalid('mismatch'), new LocationNotFound('gone'), new DownloadError('404', true)]) {
      const probe = new Probe(async () => Promise.reject(err));
      await assert.rejects(probe.process(job(0, 3)), (thrown: unknown) => thrown instanceof UnrecoverableError && thrown.message === err.message);
      assert.deepEqual(probe.endedFor, ['j0'], err.message);
    }
  });

  it('a retryable failure on the last attempt ends the job', async () => {
    const probe = new Probe(async () => Promise.reject(unavailable('down')));
    await assert.rejects(probe.process(job(2, 3)), /down/);
    assert.deepEqual(probe.endedFor, ['j2']);
  });
});

describe('isRetryable: the one classifier', () => {
  it('reads the explicit flag of our errors, a download’s verdict, and takes unknown errors as passing', () => {
    assert.equal(isRetryable(busy('busy')), true);
    assert.equal(isRetryable(unavailable('down')), true);
    assert.equal(isRetryable(conflict('taken')), false);
    assert.equal(isRetryable(invalid('bad')), false);
    assert.equal(isRetryable(new DownloadError('timeout', false)), true);
    assert.equal(isRetryable(new DownloadError('refused', true)), false);
    assert.equal(isRetryable(new LocationNotFound('gone')), false);
    assert.equal(isRetryable(new Error('socket hang up')), true);
  });
});

describe('isRetryable: the branches past the common ones', () => {
  it('our error’s explicit flag decides, not its kind', () => {
    assert.equal(isRetryable(new GlimpseError('conflict', 'held; try again', {}, { retryable: true })), true);
    assert.equal(isRetryable(new GlimpseError('unavailable', 'gone for good', {}, { retryable: false })), false);
  });

  it('any error that says it is permanent is final; one that says otherwise, or nothing, passes', () => {
    assert.equal(isRetryable(Object.assign(new Error('bad image'), { permanent: true })), false);
    assert.equal(isRetryable({ permanent: true }), false);
    assert.equal(isRetryable(Object.assign(new Error('blip'), { permanent: false })), true);
    assert.equal(isRetryable(Object.assign(new Error('blip'), { permanent: 'yes' })), true, 'only a true flag is taken');
    assert.equal(isRetryable(null), true);
    assert.equal(isRetryable('a thrown string'), true);
  });

  it('messageOf names an error by its message and anything else by its text', () => {
    assert.equal(messageOf(new Error('boom')), 'boom');
    assert.equal(messageOf('plain'), 'plain');
    assert.equal(messageOf(42), '42');
  });
});
