/**
 * The one source of "now" for decisions that depend on elapsed time: stale-lock takeover, orphan and partial-write
 * ages in the reaper and auditor, the updater's stuck-saving age, console session rechecks, the image cache's
 * stall time, task expiry, Keystone token expiry. Injected (token `CLOCK`, provided by `ClockModule` in libs/common as the system clock),
 * so a test moves time forward instead of waiting for it. Plain timestamps written to a record (`createdAt`) and
 * deadlines of in-process waits keep `Date.now()`: a clock adds nothing there.
 */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The injection token of the Clock (a symbol: domain does not depend on Nest). */
export const CLOCK = Symbol('Clock');
