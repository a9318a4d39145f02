/** The buffers a unit is at most (the hasher's slot size: a slot is copied in with one memcpy). */
const UNIT = 1 << 20;

/**
 * The bytes of an image on their way to Swift, cut into segments of `segmentSize` bytes (the last one shorter)
 * and kept as whole buffers until Swift has confirmed them, so a failed PUT is sent again unchanged. Bytes are
 * copied into units of up to 1 MiB that are reused once their segment is confirmed (`release`): however many
 * segments an image has, a write allocates only as many units as segments are held at once, and the garbage
 * collector sees a few hundred large buffers instead of every incoming chunk.
 */
export class SegmentBuffer {
  private readonly unit: number;
  /** Full segments not yet taken, oldest first. */
  private readonly full: Buffer[][] = [];
  /** The segment being filled: its units (the last one partly), and its bytes so far. */
  private current: Buffer[] = [];
  private currentBytes = 0;
  /** Bytes used of the current segment's last unit, and how many it takes (less at the segment's end). */
  private used = 0;
  private capacity = 0;
  private readonly free: Buffer[] = [];

  constructor(private readonly segmentSize: number) {
    this.unit = Math.min(UNIT, segmentSize);
  }

  /** Copies `bytes` in (the caller may reuse them at once). */
  add(bytes: Uint8Array): void {
    let pos = 0;
    while (pos < bytes.length) {
      if (this.current.length === 0 || this.used === this.capacity) {
        this.current.push(this.free.pop() ?? Buffer.allocUnsafeSlow(this.unit));
        this.capacity = Math.min(this.unit, this.segmentSize - this.currentBytes);
        this.used = 0;
      }
      const n = Math.min(this.capacity - this.used, bytes.length - pos);
      // Buffer#fill with a source of exactly the target's length is a plain memcpy, also from the hasher's shared
      // ring (TypedArray#set from shared memory copies word by word).
      this.current[this.current.length - 1]!.fill(pos === 0 && n === bytes.length ? bytes : bytes.subarray(pos, pos + n), this.used, this.used + n);
      this.used += n;
      this.currentBytes += n;
      pos += n;
      if (this.currentBytes === this.segmentSize) this.close();
    }
  }

  /** Whether a full segment waits to be taken. */
  get hasFull(): boolean {
    return this.full.length > 0;
  }

  /** The oldest full segment (its buffers, to be sent as they are), or undefined. */
  takeFull(): Buffer[] | undefined {
    return this.full.shift();
  }

  /** Everything not yet taken, full segments and the partial one, as one body (the last, or the only, PUT). */
  takeRest(): Buffer[] {
    if (this.currentBytes > 0) this.close();
    return this.full.splice(0).flat();
  }

  /** A confirmed segment's buffers, to be filled again. */
  release(body: readonly Buffer[]): void {
    for (const view of body) this.free.push(Buffer.from(view.buffer, view.byteOffset, this.unit));
  }

  /** Drops every buffer (after a failure). */
  clear(): void {
    this.full.length = 0;
    this.free.length = 0;
    this.current = [];
    this.currentBytes = 0;
    this.used = 0;
  }

  private close(): void {
    const units = this.current;
    units[units.length - 1] = units[units.length - 1]!.subarray(0, this.used);
    this.full.push(units);
    this.current = [];
    this.currentBytes = 0;
    this.used = 0;
  }
}
