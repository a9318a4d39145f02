import { composeResult } from './compose-result.js';
import { type Got, type Need, type Probe, reason } from './probe.js';
import { PROBES } from './probes/index.js';
import { type DetectedFormat, type InspectionResult, type InspectorOptions, type ProbeOutcome, type Reason, resolveOptions } from './types.js';

/** The first bytes are always kept, so a probe may ask for a range it only learns about late. */
export const HEAD_CACHE_BYTES = 64 * 1024;
/** The last bytes are kept as a ring: a fixed VHD's footer and a vmdk stream footer live at the end. */
export const TAIL_RING_BYTES = 2048;
/** Resumes per probe: no hostile header can make a probe loop. */
const MAX_STEPS = 4096;

interface Slot {
  format: DetectedFormat;
  gen: Probe;
  need: Need | null;
  buf: Buffer | null;
  filled: number;
  held: number;
  steps: number;
  outcome?: ProbeOutcome;
  failed?: boolean;
}

/**
 * Streaming disk-image inspector. Feed it the image's bytes in order with `push` (any chunk sizes), then call
 * `finish` for the verdict. It keeps only the first 64 KiB, a 2 KiB tail ring and the header regions the format
 * probes ask for, under a hard cap; everything else passes through untouched. Nothing it is fed makes it throw:
 * a failing probe becomes an `inspection-failed` reason.
 */
export class FormatInspector {
  private readonly options;
  private readonly slots: Slot[];
  private readonly head = Buffer.alloc(HEAD_CACHE_BYTES);
  /** Bytes of `head` that hold stream bytes 0..headValid (contiguous from the start). */
  private headValid = 0;
  private readonly ring = Buffer.alloc(TAIL_RING_BYTES);
  private ringLength = 0;
  private pos = 0;
  private current: { data: Buffer; start: number } | null = null;
  private peak = 0;
  private result: InspectionResult | null = null;
  private broken = false;

  constructor(options: InspectorOptions = {}) {
    this.options = resolveOptions(options);
    this.slots = PROBES.map(({ format, create }) => ({ format, gen: create(this.options), need: null, buf: null, filled: 0, held: 0, steps: 0 }));
    for (const slot of this.slots) this.resume(slot, undefined);
    this.notePeak();
  }

  /** Bytes seen (or skipped) so far. */
  get position(): number {
    return this.pos;
  }

  /** True once no probe needs more bytes from the stream's head: only its tail and length remain to learn. */
  get headComplete(): boolean {
    return this.slots.every((s) => s.outcome !== undefined || s.need?.kind === 'tail');
  }

  /** The lowest stream offset a probe still waits for (null when none waits for a range): a caller that can seek
   * may skip to it. */
  get wantedFrom(): number | null {
    let lowest: number | null = null;
    for (const s of this.slots) {
      if (s.outcome !== undefined || s.need?.kind !== 'range') continue;
      const next = s.need.offset + s.filled;
      if (lowest === null || next < lowest) lowest = next;
    }
    return lowest;
  }

  /** The most bytes a probe waits for at the end of the stream (a caller that can seek reads at least these). */
  get tailWanted(): number {
    return Math.max(0, ...this.slots.map((s) => (s.need?.kind === 'tail' ? Math.min(s.need.length, TAIL_RING_BYTES) : 0)));
  }

  /**
   * Reasons that already make the verdict a refusal before the stream ends (a matched format failed a safety
   * check, or a probe failed), so a write path may stop early instead of storing the rest. Empty when nothing is
   * certain yet; `finish` still gives the full verdict.
   */
  get certainReasons(): Reason[] {
    if (this.broken) return [reason('unknown', 'inspection-failed', 'The image could not be inspected')];
    const failed = this.slots.find((s) => s.failed);
    if (failed) return [reason(failed.format, 'inspection-failed', `The ${failed.format} inspection could not complete`)];
    const iso = this.slots.find((s) => s.format === 'iso');
    const isoMayWin = iso !== undefined && (iso.outcome === undefined || iso.outcome.match);
    for (const slot of this.slots) {
      const o = slot.outcome;
      if (!o?.match || o.reasons.length === 0) continue;
      // A partition table's problems do not count when it turns out to be an ISO's hybrid boot record.
      if ((o.format === 'gpt' || o.format === 'mbr') && isoMayWin) continue;
      return o.reasons;
    }
    return [];
  }

  /** Bytes held right now. */
  get retainedBytes(): number {
    return HEAD_CACHE_BYTES + TAIL_RING_BYTES + this.slots.reduce((sum, s) => sum + s.held, 0);
  }

  get peakRetainedBytes(): number {
    return this.peak;
  }

  push(chunk: Uint8Array): void {
    if (this.result || this.broken) return;
    try {
      this.take(chunk);
    } catch {
      // Not reachable through the probes (they are guarded one by one); a bad chunk object lands here.
      this.broken = true;
    }
  }

  private take(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const start = this.pos;
    if (this.headValid === start && start < HEAD_CACHE_BYTES) {
      const n = Math.min(data.length, HEAD_CACHE_BYTES - start);
      data.copy(this.head, start, 0, n);
      this.headValid += n;
    }
    this.remember(data);
    this.pos += data.length;
    this.current = { data, start };
    for (const slot of this.slots) this.advance(slot);
    this.current = null;
    this.notePeak();
  }

  /** Tells the inspector `length` bytes went by unseen (a caller that seeks past data no probe needs). */
  skip(length: number): void {
    if (this.result || !(length > 0)) return;
    this.pos += length;
    this.ringLength = 0;
    for (const slot of this.slots) this.advance(slot);
  }

  /** Ends the stream and returns the verdict (the same object on every later call). */
  finish(): InspectionResult {
    if (this.result) return this.result;
    for (const slot of this.slots) {
      while (slot.outcome === undefined && slot.need) {
        if (slot.need.kind === 'tail') {
          const n = Math.min(slot.need.length, this.ringLength);
          this.resume(slot, { bytes: Buffer.from(this.ring.subarray(this.ringLength - n, this.ringLength)), complete: true, total: this.pos });
        } else {
          this.advance(slot);
          if (slot.outcome === undefined && slot.need?.kind === 'range') {
            this.resume(slot, { bytes: slot.buf?.subarray(0, slot.filled) ?? Buffer.alloc(0), complete: false, total: this.pos });
          }
        }
      }
    }
    this.notePeak();
    const outcomes = this.slots.map((s) => s.outcome!);
    const failed = this.broken ? (['unknown'] as DetectedFormat[]) : this.slots.filter((s) => s.failed).map((s) => s.format);
    this.result = composeResult(outcomes, failed, this.pos, this.peak);
    return this.result;
  }

  private remember(data: Buffer): void {
    const size = TAIL_RING_BYTES;
    if (data.length >= size) {
      data.copy(this.ring, 0, data.length - size);
      this.ringLength = size;
      return;
    }
    const keep = Math.min(this.ringLength, size - data.length);
    this.ring.copyWithin(0, this.ringLength - keep, this.ringLength);
    data.copy(this.ring, keep);
    this.ringLength = keep + data.length;
  }

  /** Fills the slot's range from the head cache and the chunk in hand; resumes it when done or unreachable. */
  private advance(slot: Slot): void {
    while (slot.outcome === undefined && slot.need?.kind === 'range') {
      const { offset, length } = slot.need;
      const buf = slot.buf!;
      let next = offset + slot.filled;
      if (next < this.headValid) {
        const n = Math.min(offset + length, this.headValid) - next;
        this.head.copy(buf, slot.filled, next, next + n);
        slot.filled += n;
        next += n;
      }
      const cur = this.current;
      if (cur && slot.filled < length && next >= cur.start && next < cur.start + cur.data.length) {
        const n = Math.min(offset + length, cur.start + cur.data.length) - next;
        cur.data.copy(buf, slot.filled, next - cur.start, next - cur.start + n);
        slot.filled += n;
        next += n;
      }
      if (slot.filled === length) {
        this.resume(slot, { bytes: buf, complete: true, total: this.pos });
      } else if (next < this.pos) {
        this.resume(slot, { bytes: buf.subarray(0, slot.filled), complete: false, total: this.pos, refused: 'passed' });
      } else {
        return;
      }
    }
  }

  private resume(slot: Slot, got: Got | undefined): void {
    for (;;) {
      if (++slot.steps > MAX_STEPS) return this.fail(slot);
      let step: IteratorResult<Need, ProbeOutcome>;
      try {
        step = got === undefined ? slot.gen.next() : slot.gen.next(got);
      } catch {
        return this.fail(slot);
      }
      if (step.done) {
        slot.outcome = step.value;
        slot.need = null;
        slot.buf = null;
        slot.held = 0;
        return;
      }
      const need = step.value;
      slot.need = need;
      slot.buf = null;
      slot.filled = 0;
      if (need.kind === 'tail') return;
      const fits =
        Number.isSafeInteger(need.offset) &&
        Number.isSafeInteger(need.length) &&
        need.offset >= 0 &&
        need.length >= 0 &&
        need.length <= this.options.maxRetainedBytes - this.retainedBytes;
      // Probes bound their own requests; one that still does not fit under the cap makes the inspection fail
      // (a verdict, never an allocation past the cap, and never a silent fall back to raw).
      if (!fits) return this.fail(slot);
      slot.buf = Buffer.alloc(need.length);
      slot.held += need.length;
      this.notePeak();
      return;
    }
  }

  private fail(slot: Slot): void {
    slot.failed = true;
    slot.outcome = { format: slot.format, match: false, virtualSize: null, reasons: [] };
    slot.need = null;
    slot.buf = null;
    slot.held = 0;
  }

  private notePeak(): void {
    this.peak = Math.max(this.peak, this.retainedBytes);
  }
}
