// What the system tells about a process: its children, the CPU time it used (for
// tests and benchmarks that follow a daemon and its helper processes, its shell spawners).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Processes whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

let ticksPerSec = 0;

/** The fields of a /proc stat file after the command name (state is field 0); null when gone. */
function statFields(file: string): string[] | null {
  ticksPerSec ||= Number(execFileSync('getconf', ['CLK_TCK']).toString());
  try {
    return readFileSync(file, 'utf8').split(') ')[1]?.split(' ') ?? null;
  } catch {
    return null;
  }
}

const ticksMs = (fields: string[], a: number, b: number) =>
  ((Number(fields[a]) + Number(fields[b])) * 1000) / ticksPerSec;

/**
 * CPU time, in ms, that `pid` used (user + system), and that its children used once it reaped
 * them; zeros when the process is gone.
 */
export function cpuTimeMs(pid: number): { self: number; children: number } {
  const fields = statFields(`/proc/${pid}/stat`);
  if (!fields) return { self: 0, children: 0 };
  // utime is field 11, stime 12, cutime 13, cstime 14.
  return { self: ticksMs(fields, 11, 12), children: ticksMs(fields, 13, 14) };
}

/** CPU time, in ms, of the main thread of `pid` alone (not its worker threads); 0 when gone. */
export function mainThreadCpuMs(pid: number): number {
  const fields = statFields(`/proc/${pid}/task/${pid}/stat`);
  return fields ? ticksMs(fields, 11, 12) : 0;
}

/**
 * Time, in ms, that the main thread of `pid` was ready to run but waited for a CPU (the
 * scheduler's run queue); 0 when the process is gone or the kernel keeps no schedstat.
 */
export function runQueueWaitMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return 0;
  }
}

/**
 * Whether a process of group `pgid` still runs: one neither gone nor a zombie (a zombie waits only
 * for its parent, or init, to reap it: here init may take seconds, and kill(-pgid, 0) counts it).
 */
export function groupRunning(pgid: number): boolean {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .some((name) => {
      try {
        const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        return fields[2] === String(pgid) && fields[0] !== 'Z' && fields[0] !== 'X';
      } catch {
        return false;
      }
    });
}

/** The nice value of each thread of `pid`. */
export function niceOfThreads(pid: number): { tid: number; nice: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => ({
    tid: Number(tid),
    // After the ") ": state is field 0, nice 16.
    nice: Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]),
  }));
}
