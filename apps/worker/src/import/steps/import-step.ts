import type { ImportRun } from '../import-run.js';

/**
 * One step of an import, as Glance's import flow is built of tasks that each know how to revert themselves:
 * `run` does its part of the work on the shared run, `undo` takes back what it did when this or a later step
 * fails (`err` is that failure). Undo is best effort: it never throws.
 */
export interface ImportStep {
  readonly name: string;
  run(run: ImportRun): Promise<void>;
  undo?(run: ImportRun, err: unknown): Promise<void>;
}

/**
 * Runs the steps in order; when one fails, the steps that ran (the failing one included, which may have done
 * part of its work) are undone in reverse order, then the failure is thrown as it was. An undo that throws is
 * reported to `onUndoError` and the others still run.
 */
export async function runSteps(steps: readonly ImportStep[], run: ImportRun, onUndoError: (step: string, err: unknown) => void): Promise<void> {
  const started: ImportStep[] = [];
  try {
    for (const step of steps) {
      started.push(step);
      await step.run(run);
    }
  } catch (err) {
    for (const step of started.reverse()) {
      try {
        await step.undo?.(run, err);
      } catch (undoErr) {
        onUndoError(step.name, undoErr);
      }
    }
    throw err;
  }
}
