import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { CliResult } from './glance-cli.js';

const run = promisify(execFile);

/**
 * Runs Debian's `openstack` CLI (python3-openstackclient, openstacksdk underneath) against the image endpoint
 * with a fixed token: keystoneauth's `admin_token` plugin, which sends X-Auth-Token to OS_ENDPOINT as given
 * (so the endpoint names the version, as a Keystone catalog's would after discovery). stdin is /dev/null: the
 * CLI reads a piped stdin as image data.
 */
export async function openstack(url: string, token: string, args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('sh', ['-c', 'exec openstack "$@" </dev/null', 'openstack', ...args], {
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', OS_AUTH_TYPE: 'admin_token', OS_TOKEN: token, OS_ENDPOINT: `${url}/v2`, PYTHONWARNINGS: 'ignore' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
