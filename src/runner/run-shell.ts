// Runs a shell task: /bin/bash -c in its own process group (as its user, in its cwd: run-as.ts),
// stdout and stderr kept apart within outputMax each, the live tail batched for a listener, the
// run's variables in its environment (task-env.ts), an optional timeout that kills the whole group.
import { spawn } from 'node:child_process';
import { armTimeout, killGroup } from './group-kill.js';
import { LiveBatcher } from './live-output.js';
import { BoundedOutput } from './output-capture.js';
import { type Launch, NotRunnable, plannedLaunch } from './run-as.js';
import {
  type FireRequest,
  OUTPUT_MAX_DEFAULT,
  type OutputListener,
  type RunningTask,
  type RunnerResult,
  shellEnded,
  shellNotRun,
  shellNotStarted,
} from './runner-result.js';
import { requestProblem, runEnv } from './task-env.js';

/** How long output may trail the exit of bash (pipes held by a background process);
 * native/ktimer-spawn.c keeps the same. */
const OUTPUT_GRACE_MS = 200;

export interface ShellHooks {
  /** The live tail: output in batches as it is printed. */
  onOutput?: OutputListener;
  /** Once the command's process exists (its pid), or null when it will not run. */
  onStarted?: (pid: number | null) => void;
}

const notRun = (result: RunnerResult, hooks: ShellHooks): RunningTask => {
  hooks.onStarted?.(null);
  return { result: Promise.resolve(result), kill: () => {}, pid: null };
};

export function runShell(req: FireRequest, hooks: ShellHooks = {}): RunningTask {
  const handedMs = req.handedMs ?? Date.now();
  const problem = requestProblem(req);
  if (problem !== null) return notRun(shellNotRun(problem), hooks);
  if (req.cwd === undefined && req.user === undefined) {
    // The common case, started at once: no lookup, no check of a directory.
    return start(
      req,
      { file: '/bin/bash', args: ['-c', req.command], cwd: undefined, userEnv: {} },
      hooks,
      handedMs,
    );
  }
  let task: RunningTask | undefined;
  let stopped = false;
  const result = plannedLaunch(req).then(
    (launch) => {
      if (stopped) return notRun(shellNotRun('stopped before it started'), hooks).result;
      task = start(req, launch, hooks, handedMs);
      return task.result;
    },
    (err: unknown) => {
      const why = err instanceof NotRunnable ? err.message : `cannot prepare the run: ${String(err)}`;
      return notRun(shellNotRun(why), hooks).result;
    },
  );
  return {
    result,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (task) task.kill(signal);
      else stopped = true;
    },
    get pid() {
      return task?.pid ?? null;
    },
  };
}

function start(req: FireRequest, launch: Launch, hooks: ShellHooks, handedMs: number): RunningTask {
  const startedMs = Date.now();
  const max = req.outputMax ?? OUTPUT_MAX_DEFAULT;
  const out = { stdout: new BoundedOutput(max), stderr: new BoundedOutput(max) };
  const live = hooks.onOutput ? new LiveBatcher(hooks.onOutput) : null;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(launch.file, launch.args, {
      // Own process group: a timeout or shutdown kills everything the command started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: launch.cwd,
      env: { ...process.env, ...launch.userEnv, ...Object.fromEntries(runEnv(req)) },
    });
  } catch (err) {
    return notRun(shellNotStarted((err as Error).message), hooks);
  }
  const pid = child.pid;
  hooks.onStarted?.(pid ?? null);
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]?.on('data', (c: Buffer) => {
      out[stream].push(c);
      live?.push(stream, c);
    });
  }
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
      live?.flush();
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
          stdout: out.stdout.text(),
          stderr: out.stderr.text(),
        });
      // The output still in the pipes arrives before 'close'; a background process that
      // holds them open would delay 'close' for good, so it gets a short grace instead.
      child.once('close', () => finish(end()));
      setTimeout(() => finish(end()), OUTPUT_GRACE_MS).unref();
    });
  });
  return { result, kill: (signal: NodeJS.Signals) => killGroup(pid, signal), pid: pid ?? null };
}
