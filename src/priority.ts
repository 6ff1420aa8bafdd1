// Giving CPUs to the daemons' loops first: the web API's thread, and bulk commands such as
// `ktimer apply` (docs/apply.md), run nicer, so that on a busy machine a fire due is not late
// behind them. On Linux a nice value belongs to a thread, not to the process.
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much nicer than a daemon's loop: when CPUs are short, the loop goes first. */
export const NICER_BY = 10;

/** Lowers the calling thread's priority by `by`; only on Linux (elsewhere it would lower the process). */
export function yieldThread(by = NICER_BY): void {
  if (process.platform === 'linux') lower(0, by);
}

/**
 * Lowers every thread of this process by `by`: Node's own helper threads (the garbage
 * collector's among them) were started before any code of ours ran; threads started later
 * inherit the nice value of the thread that starts them.
 */
export function yieldProcess(by = NICER_BY): void {
  if (process.platform !== 'linux') {
    lower(0, by);
    return;
  }
  let threads: string[];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    threads = ['0'];
  }
  for (const tid of threads) lower(Number(tid), by);
}

function lower(id: number, by: number): void {
  try {
    setPriority(id, Math.min(19, getPriority(id) + by));
  } catch {
    // not permitted here, or the thread has ended: it keeps its priority
  }
}
