/**
 * Worker side of the parallel hasher: one algorithm per worker. On 'start' it runs one pass: it takes the slots
 * the main thread publishes in the ring's control block, hashes each in place (no copy), counts it consumed,
 * and sleeps in Atomics.wait while nothing is published; no message per slot in either direction. At the end
 * it posts the digest (or nothing when the pass was aborted) and waits for the next 'start'.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { Ctrl, type HashWorkerMessage } from './ring-control.js';

parentPort!.on('message', (m: HashWorkerMessage) => {
  if (m.type !== 'start') return;
  const ctrl = new Int32Array(m.ctrl);
  const hash = createHash(m.algorithm);
  const mine = Ctrl.Consumed + m.index;
  let seq = 0;
  for (;;) {
    // Read the signal first: any publish, end or abort after this read changes it, so the wait below returns.
    const signal = Atomics.load(ctrl, Ctrl.Signal);
    if (Atomics.load(ctrl, Ctrl.Aborted)) return;
    const published = Atomics.load(ctrl, Ctrl.Published);
    while (seq < published) {
      const entry = Ctrl.Queue + 2 * (seq % m.slots);
      hash.update(new Uint8Array(m.ring, ctrl[entry]! * m.slotSize, ctrl[entry + 1]!));
      seq++;
      Atomics.store(ctrl, mine, seq);
      Atomics.notify(ctrl, mine);
    }
    if (Atomics.load(ctrl, Ctrl.Ended) && seq === Atomics.load(ctrl, Ctrl.Published)) break;
    Atomics.wait(ctrl, Ctrl.Signal, signal);
  }
  parentPort!.postMessage({ type: 'digest', hex: hash.digest('hex') });
});
