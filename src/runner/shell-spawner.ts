// A shell spawner: a small process of its own that runs the daemon's shell tasks with runShell
// (a real process group, the output tail, the timeout) and reports back over IPC.
// Why a process: Node starts a child by forking itself and waiting until the child has called
// exec, about 1 ms for a small process and more for the daemon with its heap, its Redis client
// and 500,000 task ids; done on the daemon's thread it stalled the loop, done here it does not,
// and two spawners overlap their waits in a burst (bench/RESULTS.md).
import type { RunningTask } from './runner-result.js';
import { runShell } from './run-shell.js';
import type { FromSpawner, ToSpawner } from './spawner-messages.js';

const running = new Map<number, RunningTask>();
const post = (msg: FromSpawner): void => {
  process.send?.(msg);
};

// The daemon decides when tasks end: a Ctrl-C (or Ctrl-\) or SIGTERM meant for its process group
// must not kill the spawner while the daemon lets the running tasks finish (or kills them).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGHUP'] as const) process.on(signal, () => {});
// The daemon went away (stopped, or killed): the commands keep running in their own groups.
process.on('disconnect', () => process.exit(0));

process.on('message', (msg: ToSpawner) => {
  if (msg.op === 'kill') {
    running.get(msg.id)?.kill(msg.signal);
    return;
  }
  const task = runShell(msg.req);
  running.set(msg.id, task);
  post({ op: 'started', id: msg.id, pid: task.pid ?? null });
  void task.result.then((result) => {
    running.delete(msg.id);
    post({ op: 'done', id: msg.id, result });
  });
});
