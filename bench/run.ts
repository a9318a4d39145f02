/**
 * `npm run bench -- <name> [args…]` runs bench/<name>.bench.ts (its default export gets the remaining args);
 * with no name it lists the benchmarks. Each benchmark prints its figures next to a reference measured in
 * the same run.
 */
import { readdirSync } from 'node:fs';

const here = import.meta.dirname;
const names = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .map((f) => f.replace(/\.bench\.js$/, ''))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.log(`usage: npm run bench -- <name> [args]\nbenchmarks: ${names.join(', ') || '(none)'}`);
  process.exit(name ? 64 : 0);
}
const mod = (await import(`./${name}.bench.js`)) as { default: (args: string[]) => Promise<void> };
await mod.default(args);
