// Runs a shell task: /bin/bash -c in its own process group, output tail kept, KTIMER_KID and
// KTIMER_DUE in its environment, an optional timeout that kills the whole group.
import { spawn } from 'node:child_process';
import { armTimeout, killGroup } from './group-kill.js';
import {
  type FireRequest,
  type RunningTask,
  type RunnerResult,
  shellEnded,
  shellNotStarted,
} from './runner-result.js';
import { TailBuffer } from './tail-buffer.js';

/** The output kept of a command, and how long it may trail the exit of bash (pipes held by a
 * background process); native/ktimer-spawn.c keeps the same. */
const OUTPUT_TAIL_BYTES = 4096;
const OUTPUT_GRACE_MS = 200;

export function runShell(req: FireRequest): RunningTask {
  const startedMs = Date.now();
  const handedMs = req.handedMs ?? startedMs;
  const tail = new TailBuffer(OUTPUT_TAIL_BYTES);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn('/bin/bash', ['-c', req.command], {
      // Own process group: a timeout or shutdown kills everything the command started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KTIMER_KID: req.kid, KTIMER_DUE: (req.dueMs / 1000).toFixed(3) },
    });
  } catch (err) {
    return { result: Promise.resolve(shellNotStarted((err as Error).message)), kill: () => {} };
  }
  const pid = child.pid;
  child.stdout?.on('data', (c: Buffer) => tail.push(c));
  child.stderr?.on('data', (c: Buffer) => tail.push(c));

  let timedOut = false;
  const timer = armTimeout(pid, req.timeoutMs, () => {
    timedOut = true;
  });

  const result = new Promise<RunnerResult>((resolve) => {
    let settled = false;
    const finish = (r: RunnerResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A background process may still hold the pipes: take what came and let go of them.
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(r);
    };
    child.on('error', (err) => finish(shellNotStarted(err.message)));
    child.on('exit', (exitCode, signal) => {
      const end = () =>
        shellEnded({
          handedMs,
          startedMs,
          endedMs: Date.now(),
          exitCode,
          signal,
          timedOutAfterMs: timedOut ? req.timeoutMs : 0,
          output: tail.text(),
        });
      // The output still in the pipes arrives before 'close'; a background process that
      // holds them open would delay 'close' for good, so it gets a short grace instead.
      child.once('close', () => finish(end()));
      setTimeout(() => finish(end()), OUTPUT_GRACE_MS).unref();
    });
  });
  return { result, kill: (signal: NodeJS.Signals) => killGroup(pid, signal), pid: pid ?? null };
}
