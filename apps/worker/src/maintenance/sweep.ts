import type { SweepJob, SweepPayload, SweepResult } from '@glimpse/contracts';

/** One maintenance sweep: finds candidates page by page and fans out small jobs; never holds them all. */
export interface Sweep {
  readonly job: SweepJob;
  run(payload: SweepPayload, signal: AbortSignal): Promise<SweepResult>;
}

export const SWEEPS_TOKEN = Symbol('SWEEPS');
