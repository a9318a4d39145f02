import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks: the process's own CPU and that of its children that ended. */
  ticks: number;
}

/** The fields of /proc/<pid>/stat from the state on (proc(5)'s field 3 is [0]); throws when the process is gone. */
function statFields(pid: number | 'self' | string): number[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may hold spaces: the fields start after the last ')'.
  return text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
}

function stats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const f = statFields(name);
      out.push({ pid: Number(name), ppid: f[1]!, ticks: f[11]! + f[12]! + f[13]! + f[14]! });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds of one process (`self`: user + system, all threads) and of its children that have ended
 * (`children`: the curl runs it waited for); NaN where /proc is missing.
 */
export function cpuSecondsOfPid(pid: number | 'self' = 'self'): { self: number; children: number } {
  try {
    const f = statFields(pid);
    return { self: (f[11]! + f[12]!) / TICKS, children: (f[13]! + f[14]!) / TICKS };
  } catch {
    return { self: Number.NaN, children: Number.NaN };
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * CPU seconds used so far by the processes whose command line holds `needle` and by all their descendants (a
 * PostgreSQL server's backends, say), read from /proc. Children that ended count through their parent's cutime.
 */
export function cpuSecondsOf(needle: string): number {
  const all = stats();
  const children = new Map<number, ProcStat[]>();
  for (const p of all) (children.get(p.ppid) ?? children.set(p.ppid, []).get(p.ppid)!).push(p);
  const seen = new Set<number>();
  let ticks = 0;
  const add = (p: ProcStat) => {
    if (seen.has(p.pid)) return;
    seen.add(p.pid);
    ticks += p.ticks;
    for (const c of children.get(p.pid) ?? []) add(c);
  };
  for (const p of all) if (p.pid !== process.pid && cmdline(p.pid).includes(needle)) add(p);
  return ticks / TICKS;
}

/** CPU seconds of this process (user + system). */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
