/**
 * Worker side of the parallel hasher: one algorithm per worker. It reads slots of the shared ring in place
 * (no copy), and hands each slot back by posting its index once hashed.
 */
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

export type HashWorkerMessage =
  | { type: 'start'; algorithm: string; sab: SharedArrayBuffer; slotSize: number }
  | { type: 'slot'; slot: number; length: number }
  | { type: 'end' };

let hash: Hash | null = null;
let ring: SharedArrayBuffer | null = null;
let slotSize = 0;

parentPort!.on('message', (m: HashWorkerMessage) => {
  if (m.type === 'start') {
    hash = createHash(m.algorithm);
    ring = m.sab;
    slotSize = m.slotSize;
  } else if (m.type === 'slot') {
    hash!.update(new Uint8Array(ring!, m.slot * slotSize, m.length));
    parentPort!.postMessage({ type: 'freed', slot: m.slot });
  } else {
    parentPort!.postMessage({ type: 'digest', hex: hash!.digest('hex') });
    hash = null;
  }
});
void workerData;
