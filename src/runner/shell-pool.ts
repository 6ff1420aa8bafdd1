// Runs shell tasks on a worker thread (shell-thread.ts) instead of the daemon's main thread.
// If the thread dies, the tasks it ran are reported failed (their processes keep running in
// their own process groups, unobserved) and the next task starts a new thread.
import { Worker } from 'node:worker_threads';
import { emptyResult, type FireRequest, type RunningTask, type RunResult } from './run-result.js';
import type { FromShellThread, ToShellThread } from './shell-thread-messages.js';

/** In dist/bundle, the built file; under tsx (tests), the TypeScript source through tsx. */
function newThread(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./shell-thread.cjs', import.meta.url));
  const source = JSON.stringify(new URL('./shell-thread.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${source}); });`, {
    eval: true,
  });
}

interface Pending {
  resolve: (r: RunResult) => void;
  startedMs: number;
}

export class ShellPool {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  run(req: FireRequest): RunningTask {
    const id = this.nextId++;
    const startedMs = Date.now();
    const result = new Promise<RunResult>((resolve) => this.pending.set(id, { resolve, startedMs }));
    this.send({ op: 'run', id, req });
    this.worker?.ref();
    return {
      result,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        if (this.pending.has(id)) this.send({ op: 'kill', id, signal });
      },
    };
  }

  /** Ends the thread (the daemon is stopping and its tasks are over). */
  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.lost(w, 'the daemon stopped');
    await w.terminate();
  }

  private send(msg: ToShellThread): void {
    this.thread().postMessage(msg);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = newThread();
    w.on('message', (msg: FromShellThread) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      p.resolve(msg.result);
      // An idle thread must not keep a stopping daemon alive.
      if (this.pending.size === 0) w.unref();
    });
    w.on('error', (err) => this.lost(w, `shell runner thread failed: ${err.message}`));
    w.on('exit', (code) => this.lost(w, `shell runner thread exited (code ${code})`));
    this.worker = w;
    return w;
  }

  private lost(w: Worker, why: string): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.resolve({ ...emptyResult('shell', p.startedMs), error: `${why}; the command's outcome is unknown` });
    }
  }
}
