// A shell spawner process as the pool sees it: it takes `run`/`kill` messages and answers
// `started`/`done` (spawner-messages.ts). Two kinds: the native helper (native-spawner.ts),
// and a Node process running shell-spawner.ts, used where the helper was not built.
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type OrphanPolicy, orphanArgs } from './group-kill.js';
import type { FromSpawner, ToSpawner } from './spawner-messages.js';

export interface SpawnerProcess extends EventEmitter {
  readonly pid: number | undefined;
  send(msg: ToSpawner): void;
  /** Busy: it keeps the daemon alive; idle: a stopping daemon need not wait for it. */
  hold(busy: boolean): void;
  /**
   * Asks it to end, as when the daemon dies: commands it still runs are stopped (or left, by its
   * OrphanPolicy); resolves once it has exited.
   */
  end(): Promise<void>;
  // Events: 'message' (FromSpawner), 'exit' (code, signal), 'error' (Error).
}

/** Ends a child process by closing its input channel; resolves once it exited. */
export async function endChild(proc: ChildProcess, close: () => void): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.ref(); // an idle spawner is unref'd: wait for it all the same
  close();
  await exited;
}

/** In dist/bundle, the built file; under tsx (tests), the TypeScript source through tsx. */
export class NodeSpawnerProcess extends EventEmitter implements SpawnerProcess {
  private readonly proc: ChildProcess;

  constructor(orphans: OrphanPolicy, env: NodeJS.ProcessEnv) {
    super();
    const ts = import.meta.url.endsWith('.ts');
    const file = fileURLToPath(new URL(ts ? './shell-spawner.ts' : './shell-spawner.cjs', import.meta.url));
    this.proc = fork(file, orphanArgs(orphans), {
      execArgv: ts ? ['--import', 'tsx'] : [],
      // Its environment is the one its commands start from (task-env.ts).
      env,
      serialization: 'advanced',
      // Its own process group: a Ctrl-C or a group kill meant for the daemon does not reach it.
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.proc.on('message', (msg: FromSpawner) => this.emit('message', msg));
    this.proc.on('exit', (code, signal) => this.emit('exit', code, signal));
    this.proc.on('error', (err) => this.emit('error', err));
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  send(msg: ToSpawner): void {
    this.proc.send(msg);
  }

  hold(busy: boolean): void {
    if (busy) {
      this.proc.ref();
      this.proc.channel?.ref();
    } else {
      this.proc.unref();
      this.proc.channel?.unref();
    }
  }

  end(): Promise<void> {
    return endChild(this.proc, () => this.proc.disconnect());
  }
}
