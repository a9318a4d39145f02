import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GlimpseError } from '@glimpse/domain';
import { requestedRange } from './byte-range.js';

const kind = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof GlimpseError ? [err.kind, err.headers['Content-Range']] : ['other'];
  }
  return ['none'];
};

describe('requested byte range', () => {
  it('reads a-b, a- and -n, cutting the end to the data', () => {
    assert.deepEqual(requestedRange(10240, 'bytes=0-99'), { start: 0, end: 99 });
    assert.deepEqual(requestedRange(10240, 'bytes=10000-'), { start: 10000, end: 10239 });
    assert.deepEqual(requestedRange(10240, 'bytes=-100'), { start: 10140, end: 10239 });
    assert.deepEqual(requestedRange(10240, 'bytes=-99999'), { start: 0, end: 10239 });
    assert.deepEqual(requestedRange(10240, 'bytes=10239-20000'), { start: 10239, end: 10239 });
  });
  it('takes the legacy Content-Range request header', () => {
    assert.deepEqual(requestedRange(10240, undefined, 'bytes 0-99/10240'), { start: 0, end: 99 });
  });
  it('refuses several ranges (400) and a start past the data (416 with bytes */size)', () => {
    assert.deepEqual(kind(() => requestedRange(10240, 'bytes=0-9,20-29')), ['invalid', undefined]);
    assert.deepEqual(kind(() => requestedRange(10240, 'bytes=20000-30000')), ['range-not-satisfiable', 'bytes */10240']);
    assert.deepEqual(kind(() => requestedRange(10240, 'bytes=10240-')), ['range-not-satisfiable', 'bytes */10240']);
    assert.deepEqual(kind(() => requestedRange(0, 'bytes=0-0')), ['range-not-satisfiable', 'bytes */0']);
    assert.deepEqual(kind(() => requestedRange(10240, 'bytes=-0')), ['range-not-satisfiable', 'bytes */10240']);
  });
  it('ignores what it cannot read', () => {
    for (const h of ['items=0-9', 'bytes=abc', 'bytes=9-3', 'bytes=-']) assert.equal(requestedRange(10240, h), undefined, h);
    assert.equal(requestedRange(10240), undefined);
  });
});
