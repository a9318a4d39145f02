import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GlanceOptions {
  /** Pass `--os-image-api-version 2` (default); false runs the client as a user types it, letting it choose. */
  pinVersion?: boolean;
  /** HOME of the client (where it caches the schemas, ~/.glanceclient); default the test's own. */
  home?: string;
  /** The Images API version the client is pinned to: 2 (default) or 1 (its v1 mode, /v1 routes). */
  apiVersion?: '1' | '2';
  /**
   * Run on a pseudo-terminal (util-linux `script`), as a user at a shell: the v1 client's image-update reads
   * `sys.stdin.isatty()` and fails on a closed stdin. Output then comes on stdout only, with LF line ends.
   */
  tty?: boolean;
}

/** Runs Debian's `glance` CLI (python3-glanceclient) against an endpoint with a token; stdin closed. */
export async function glance(url: string, token: string, args: string[], options: GlanceOptions = {}): Promise<CliResult> {
  const version = options.pinVersion === false ? [] : ['--os-image-api-version', options.apiVersion ?? '2'];
  try {
    // stdin closed (`<&-`): glanceclient treats any open, non-tty stdin as image data to upload.
    const command = options.tty
      ? ['-c', 'exec script -qec "$(printf "%q " "$@")" /dev/null </dev/null', 'glance', 'glance']
      : ['-c', 'exec glance "$@" <&-', 'glance'];
    const { stdout, stderr } = await run(
      'bash',
      [...command, ...version, '--os-image-url', url, '--os-auth-token', token, ...args],
      {
        timeout: 60_000,
        env: { ...process.env, OS_CLOUD: '', OS_IMAGE_API_VERSION: '', PYTHONWARNINGS: 'ignore', ...(options.home ? { HOME: options.home } : {}) },
      },
    );
    return { code: 0, stdout: stdout.replace(/\r\n/g, '\n'), stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: (e.stdout ?? '').replace(/\r\n/g, '\n'), stderr: e.stderr ?? '' };
  }
}

/** Rows of a prettytable: arrays of cell texts, continuation lines (empty first cell) folded into the row above. */
export function tableRows(output: string): string[][] {
  const rows: string[][] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line.slice(1, -1).split('|').map((c) => c.trim());
    if (cells[0] === '' && rows.length > 0) {
      const last = rows[rows.length - 1]!;
      cells.forEach((c, i) => (last[i] = `${last[i] ?? ''}${c}`));
    } else rows.push(cells);
  }
  return rows;
}

/** A Property/Value table (image-show and friends) as a record. */
export function propertyTable(output: string): Record<string, string> {
  const [, ...rows] = tableRows(output);
  return Object.fromEntries(rows.map(([k, v]) => [k!, v ?? '']));
}

/** A list table as records keyed by its header cells. */
export function listTable(output: string): Record<string, string>[] {
  const [header, ...rows] = tableRows(output);
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}
