import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageLocation, Visibility } from './image.js';
import { parseReplicationPolicy, replicaTargets } from './replication-policy.js';

const at = (store: string, status: ImageLocation['status'] = 'active'): ImageLocation => ({ url: `${store}://x`, store, metadata: {}, status });
const image = (visibility: Visibility, ...locations: ImageLocation[]) => ({ visibility, locations });

describe('replication policy', () => {
  it('parses store lists and copy counts, one rule per visibility', () => {
    assert.deepEqual(parseReplicationPolicy(' public = a, b ; *=2 '), [
      { visibility: 'public', stores: ['a', 'b'] },
      { visibility: '*', copies: 2 },
    ]);
    assert.deepEqual(parseReplicationPolicy(''), []);
    for (const bad of ['public', 'secret=a', 'public=a;public=b', '*=0', '=a']) {
      assert.throws(() => parseReplicationPolicy(bad), /replication rule/, bad);
    }
  });

  it('names the stores a policy wants a copy in that hold no good one', () => {
    const rules = parseReplicationPolicy('public=a,b;private=3');
    const writable = ['a', 'b', 'c'];
    assert.deepEqual(replicaTargets(image('public', at('a')), rules, writable), ['b']);
    assert.deepEqual(replicaTargets(image('public', at('a'), at('b')), rules, writable), []);
    // N copies: the writable stores in order, skipping those with a copy.
    assert.deepEqual(replicaTargets(image('private', at('b')), rules, writable), ['a', 'c']);
    // No rule for shared images and no `*`: left alone.
    assert.deepEqual(replicaTargets(image('shared', at('a')), rules, writable), []);
  });

  it('replaces bad copies from a good one, counting them towards N copies', () => {
    const none = parseReplicationPolicy('');
    assert.deepEqual(replicaTargets(image('private', at('a'), at('b', 'bad')), none, ['a', 'b']), ['b']);
    const two = parseReplicationPolicy('*=2');
    assert.deepEqual(replicaTargets(image('private', at('a'), at('c', 'bad')), two, ['a', 'b', 'c']), ['c']);
    // Nothing good to copy from: nothing to do.
    assert.deepEqual(replicaTargets(image('private', at('a', 'bad')), two, ['a', 'b']), []);
    // A bad copy in a read-only store cannot be rewritten.
    assert.deepEqual(replicaTargets(image('private', at('a'), at('web', 'bad')), none, ['a']), []);
  });
});
