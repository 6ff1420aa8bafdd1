// The shell runner's thread: runs each command with runShell (a real process group, the output
// tail, the timeout) and reports to the daemon's main thread. Spawning forks the whole Node
// process, about 1.5 ms of blocked thread per command; here that no longer stalls the loop,
// Redis or the web API, and shell bursts start faster (bench/RESULTS.md).
import { parentPort } from 'node:worker_threads';
import type { RunningTask } from './run-result.js';
import { runShell } from './run-shell.js';
import type { FromShellThread, ToShellThread } from './shell-thread-messages.js';

const port = parentPort;
if (!port) throw new Error('shell-thread runs as a worker thread only');
const running = new Map<number, RunningTask>();
const post = (msg: FromShellThread): void => port.postMessage(msg);

port.on('message', (msg: ToShellThread) => {
  if (msg.op === 'kill') {
    running.get(msg.id)?.kill(msg.signal);
    return;
  }
  const task = runShell(msg.req);
  running.set(msg.id, task);
  void task.result.then((result) => {
    running.delete(msg.id);
    post({ id: msg.id, result });
  });
});
