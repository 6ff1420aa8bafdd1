// A shell spawner: a small process of its own that runs the daemon's shell tasks with runShell
// (a real process group, stdout and stderr, the timeout, the live tail) and reports back over IPC.
// Why a process: Node starts a child by forking itself and waiting until the child has called
// exec, about 1 ms for a small process and more for the daemon with its heap, its Redis client
// and 500,000 task ids; done on the daemon's thread it stalled the loop, done here it does not,
// and two spawners overlap their waits in a burst (bench/RESULTS.md).
// Started with `--stop-orphans GRACE_MS` or `--keep-orphans` (group-kill.ts orphanArgs): what
// becomes of the commands still running when the daemon goes away.
import { orphanPolicyOf, stopGroups } from './group-kill.js';
import type { RunningTask } from './runner-result.js';
import { runShell } from './run-shell.js';
import type { FromSpawner, ToSpawner } from './spawner-messages.js';

const orphans = orphanPolicyOf(process.argv.slice(2));
const running = new Map<number, RunningTask>();
let daemonGone = false;
const post = (msg: FromSpawner): void => {
  if (!daemonGone) process.send?.(msg);
};

// The daemon decides when tasks end: a Ctrl-C (or Ctrl-\) or SIGTERM meant for its process group
// must not kill the spawner while the daemon lets the running tasks finish (or kills them).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGHUP'] as const) process.on(signal, () => {});

// The daemon went away (stopped, or killed): nobody watches the commands still running any more.
process.on('disconnect', () => {
  daemonGone = true;
  if (!orphans.stop) process.exit(0);
  const tasks = [...running.values()];
  // One still being prepared (its user looked up) is never started.
  for (const task of tasks) if (!task.pid) task.kill('SIGTERM');
  const groups = tasks.flatMap((t) => (t.pid ? [t.pid] : []));
  void stopGroups(groups, orphans.graceMs).then(() => process.exit(0));
});

process.on('message', (msg: ToSpawner) => {
  if (msg.op === 'kill') {
    running.get(msg.id)?.kill(msg.signal);
    return;
  }
  const { id } = msg;
  const task = runShell(msg.req, {
    onStarted: (pid) => post({ op: 'started', id, pid }),
    onOutput: msg.live ? (chunk) => post({ op: 'output', id, chunk }) : undefined,
  });
  running.set(id, task);
  void task.result.then((result) => {
    running.delete(id);
    post({ op: 'done', id, result });
  });
});
