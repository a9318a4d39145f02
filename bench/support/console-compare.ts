/**
 * GLIMPSE_BENCH_CONSOLE=compare: a bench measures its operations against two APIs in this process on one database,
 * Redis and data directory, one serving the operator console (the default) and one with GLIMPSE_CONSOLE=false,
 * in interleaved rounds (data-bench interleave), and prints the two side by side with their ratio.
 */
import { type BenchStack, startBenchStack } from './bench-stack.js';
import { fmt, median } from './data-bench.js';

export const comparesConsole = (): boolean => {
  const mode = process.env.GLIMPSE_BENCH_CONSOLE;
  if (mode && mode !== 'compare') throw new Error(`GLIMPSE_BENCH_CONSOLE must be compare or unset, got ${mode}`);
  return mode === 'compare';
};

export interface ConsolePair {
  on: BenchStack;
  off: BenchStack;
  close(): Promise<void>;
}

/** The console-off API on `on`'s data (on is a stack whose config serves the console). */
export async function consolePair(on: BenchStack, env: Record<string, string>, options: { worker?: boolean } = {}): Promise<ConsolePair> {
  if (!on.config.console.enabled) throw new Error('the console-on stack does not serve the console (GLIMPSE_CONSOLE is false)');
  const off = await startBenchStack({ ...env, GLIMPSE_CONSOLE: 'false' }, { ...options, sameDataAs: on });
  const [served, unserved] = await Promise.all([fetch(`${on.url}/console/sign-in`), fetch(`${off.url}/console/sign-in`)]);
  if (served.status !== 200 || unserved.status !== 404) throw new Error(`console sign-in page: ${served.status} with the console, ${unserved.status} without`);
  return { on, off, close: () => off.close() };
}

/** One line: console-on and console-off figures (sorted, over rounds), their medians' ratio on/off. */
export function onOffLine(label: string, on: number[], off: number[], unit: string, digits = 0): string {
  const ratio = median(on) / median(off);
  return `  ${label.padEnd(36)} on ${fmt(on, digits).padStart(20)}  off ${fmt(off, digits).padStart(20)} ${unit}  on/off ${ratio.toFixed(2)}`;
}
