import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NextFunction, Request, Response } from 'express';
import { holdsNul, refuseEncodedNul } from './nul-guard.js';

const run = (req: Partial<Request>): unknown => {
  let passed: unknown = 'not called';
  refuseEncodedNul({ headers: {}, ...req } as Request, {} as Response, ((err?: unknown) => (passed = err)) as NextFunction);
  return passed;
};

describe('NUL guard', () => {
  it('refuses %00 in the path or the query, in either case', () => {
    for (const url of ['/v2/images/%00', '/v2/images?name=a%00b', '/v2/images/x/tags/%00']) {
      assert.match(String((run({ url }) as Error)?.message), /NUL/, url);
    }
    assert.equal(run({ url: '/v2/images?name=%2500' }), undefined, 'an encoded percent sign is not a NUL');
  });

  it('refuses %00 in v1 metadata headers, not in other headers', () => {
    assert.match(String((run({ url: '/v1/images', headers: { 'x-image-meta-name': 'a%00' } }) as Error)?.message), /NUL/);
    assert.equal(run({ url: '/v1/images', headers: { 'user-agent': 'a%00' } }), undefined);
  });

  it('finds a NUL in any string of a JSON document, keys included', () => {
    assert.equal(holdsNul({ name: 'ok', tags: ['a', 'b'], n: 1, x: null }), false);
    assert.equal(holdsNul({ name: 'a\u0000b' }), true);
    assert.equal(holdsNul([{ op: 'add', path: '/x', value: ['\u0000'] }]), true);
    assert.equal(holdsNul({ ['k\u0000']: 'v' }), true);
  });
});
