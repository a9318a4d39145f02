import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { busy, conflict, type ErrorKind, forbidden, GlimpseError, invalid, notFound, tooLarge, unavailable } from './errors.js';

describe('GlimpseError: whether trying again can help is explicit', () => {
  it('only the unavailable kind is retryable by default; every other kind is final', () => {
    const kinds: ErrorKind[] = ['invalid', 'unauthorized', 'forbidden', 'not-found', 'method-not-allowed', 'conflict', 'gone', 'too-large', 'unsupported-media-type', 'range-not-satisfiable'];
    for (const kind of kinds) assert.equal(new GlimpseError(kind, 'x').retryable, false, kind);
    assert.equal(new GlimpseError('unavailable', 'x').retryable, true);
    for (const err of [invalid('a'), forbidden('b'), notFound(), conflict('c'), tooLarge('d')]) assert.equal(err.retryable, false, err.kind);
    assert.equal(unavailable('down').retryable, true);
  });

  it('an explicit flag wins over the kind either way', () => {
    assert.equal(new GlimpseError('conflict', 'x', {}, { retryable: true }).retryable, true);
    assert.equal(new GlimpseError('unavailable', 'x', {}, { retryable: false }).retryable, false);
  });

  it('a busy record is the server’s problem: unavailable (503), retryable, with Retry-After', () => {
    const err = busy('The record r is busy; try again.');
    assert.equal(err.kind, 'unavailable');
    assert.equal(err.retryable, true);
    assert.deepEqual(err.headers, { 'Retry-After': '1' });
    assert.equal(err.message, 'The record r is busy; try again.');
  });

  it('the message is the explanation unless asked to be the detail; the default not-found text is Glance’s', () => {
    assert.equal(invalid('bad').asDetail, false);
    assert.equal(new GlimpseError('not-found', 'x', {}, { asDetail: true }).asDetail, true);
    assert.equal(notFound().message, 'The resource could not be found.');
    assert.ok(invalid('bad') instanceof Error);
    assert.equal(invalid('bad').name, 'GlimpseError');
  });
});
