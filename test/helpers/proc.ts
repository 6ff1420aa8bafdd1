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

/**
 * CPU time, in ms, that `pid` used (user + system), and that its children used once it reaped
 * them; zeros when the process is gone.
 */
export function cpuTimeMs(pid: number): { self: number; children: number } {
  ticksPerSec ||= Number(execFileSync('getconf', ['CLK_TCK']).toString());
  let fields: string[];
  try {
    fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  } catch {
    return { self: 0, children: 0 };
  }
  // After the ") ": state is field 0, utime 11, stime 12, cutime 13, cstime 14.
  const ms = (a: number, b: number) => ((Number(fields[a]) + Number(fields[b])) * 1000) / ticksPerSec;
  return { self: ms(11, 12), children: ms(13, 14) };
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
