import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DloSegment, segmentAt } from './swift-dlo-segments.js';

describe('DLO segments: a byte of the whole object to its segment', () => {
  const segments: DloSegment[] = [
    { container: 'c', name: 'i-00001', offset: 0, bytes: 10 },
    { container: 'c', name: 'i-00002', offset: 10, bytes: 10 },
    // i-00003 had 0 bytes: skipped, the next starts where it would have
    { container: 'c', name: 'i-00004', offset: 20, bytes: 3 },
  ];

  it('first, last and boundary bytes land in their segment; past the end in none', () => {
    const at = (p: number) => segmentAt(segments, p)?.name;
    assert.deepEqual([0, 9, 10, 19, 20, 22].map(at), ['i-00001', 'i-00001', 'i-00002', 'i-00002', 'i-00004', 'i-00004']);
    assert.equal(at(23), undefined);
    assert.equal(at(-1), undefined);
    assert.equal(segmentAt([], 0), undefined);
  });
});
