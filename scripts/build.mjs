// Compiles every TypeScript tree (apps, libs, test, bench) to ESM under dist/ with SWC, rewriting the
// @glimpse/<lib> aliases from tsconfig.json into relative imports. Type checking is `npm run typecheck`.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const trees = ['apps', 'libs', 'test', 'bench'].filter((d) => existsSync(resolve(root, d)));
// GLIMPSE_DIST=dist-x builds into another top-level directory, so parallel work does not clobber dist/.
const out = process.env.GLIMPSE_DIST || 'dist';
if (!/^dist[\w-]*$/.test(out)) throw new Error(`GLIMPSE_DIST must be a top-level dist* directory name, got ${out}`);
rmSync(resolve(root, out), { recursive: true, force: true });
const swc = resolve(root, 'node_modules/.bin/swc');
const result = spawnSync(
  swc,
  [...trees, '-d', out, '--quiet', '-C', `jsc.baseUrl=${root}`, '-C', 'jsc.paths.@glimpse/*=["libs/*/src/index.ts"]'],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
