import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server program Glimpse can run in the background on a loopback port. */
export interface ServiceSpec {
  name: string;
  port: number;
  /** Directory holding the service's data, log and pid file. */
  dir: string;
  command: string;
  args: string[];
  /** Run the program as this user (PostgreSQL refuses to run as root); unset: as this process. */
  user?: { uid: number; gid: number };
  /** Variables added to the program's environment (this process's otherwise). */
  env?: Record<string, string>;
  /** Runs before the program is started (e.g. initdb of a new cluster). */
  prepare?: () => Promise<void>;
  /** The signal that stops it cleanly (default SIGTERM), and how long it may take before it is killed. */
  stopSignal?: NodeJS.Signals;
  stopGraceMs?: number;
}

const HOST = '127.0.0.1';

export function isPortOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function pidFile(spec: ServiceSpec): string {
  return join(spec.dir, `${spec.name}.pid`);
}

export function logFile(spec: ServiceSpec): string {
  return join(spec.dir, `${spec.name}.log`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(spec: ServiceSpec): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(spec), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The last bytes the log gained since `from`. */
function logSince(path: string, from: number, bytes = 2000): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path).subarray(from).toString('utf8');
  return text.slice(Math.max(0, text.length - bytes)).trim();
}

/**
 * Starts the service unless something already answers on its port (then it is reused).
 * Resolves to true when this call started it.
 */
export async function startService(spec: ServiceSpec, readyTimeoutMs = 30_000): Promise<boolean> {
  if (await isPortOpen(spec.port)) return false;
  mkdirSync(spec.dir, { recursive: true });
  await spec.prepare?.();
  const log = openSync(logFile(spec), 'a');
  const logStart = statSync(logFile(spec)).size;
  const child = spawn(spec.command, spec.args, {
    cwd: spec.dir,
    detached: true,
    stdio: ['ignore', log, log],
    ...(spec.env ? { env: { ...process.env, ...spec.env } } : {}),
    ...spec.user,
  });
  closeSync(log);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  child.once('error', (err) => (exited = err.message));
  child.unref();
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await isPortOpen(spec.port)) {
      // Only a server that came up owns the pid file: one that failed (a PostgreSQL refused because another
      // serves the same data dir on another port, say) must not overwrite the pid of the one running.
      if (child.pid) writeFileSync(pidFile(spec), `${child.pid}\n`);
      return true;
    }
    await sleep(100);
  }
  if (!exited && child.pid) process.kill(child.pid, 'SIGKILL');
  const output = logSince(logFile(spec), logStart);
  throw new Error(`${spec.name} did not start on ${HOST}:${spec.port} (${exited ?? 'timed out'}): ${output}`);
}

/** Stops the service this project started (found by its pid file); resolves to true if one was running. */
export async function stopService(spec: ServiceSpec, graceMs = spec.stopGraceMs ?? 10_000): Promise<boolean> {
  const pid = readPid(spec);
  if (pid === undefined || !isAlive(pid)) {
    rmSync(pidFile(spec), { force: true });
    return false;
  }
  process.kill(pid, spec.stopSignal ?? 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(20);
  rmSync(pidFile(spec), { force: true });
  return true;
}

export async function serviceStatus(spec: ServiceSpec): Promise<{ running: boolean; ownPid?: number }> {
  const pid = readPid(spec);
  return { running: await isPortOpen(spec.port), ownPid: pid !== undefined && isAlive(pid) ? pid : undefined };
}
