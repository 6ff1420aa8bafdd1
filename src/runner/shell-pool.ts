// Runs shell tasks in spawner processes instead of on the daemon's thread: the native helper
// where it was built, else Node processes running shell-spawner.ts (spawner-process.ts).
// One spawner, kept (started with the daemon, so that a task due now does not wait for one to
// boot); a second one while the first cannot start commands as fast as they come (a burst),
// which exits after a minute idle. If a spawner dies, the tasks it ran are reported failed
// (their processes keep running in their own process groups, unobserved) and the next task
// starts a new one. If the daemon dies, its spawners stop the commands they run (OrphanPolicy).
import { KtimerError } from '../errors.js';
import type { OrphanPolicy } from './group-kill.js';
import { NativeSpawnerProcess, nativeSpawnerPath } from './native-spawner.js';
import {
  emptyResult,
  type FireRequest,
  type OutputListener,
  type RunningTask,
  type RunnerResult,
  shellNotRun,
} from './runner-result.js';
import type { FromSpawner, ToSpawner } from './spawner-messages.js';
import { NodeSpawnerProcess, type SpawnerProcess } from './spawner-process.js';
import { requestProblem, taskBaseEnv } from './task-env.js';

export type SpawnerKind = 'native' | 'node';

/**
 * Which spawner runs shell tasks: $KTIMER_SPAWNER (`native` or `node`) when set, else the
 * native helper when it was built.
 */
export function chooseSpawner(env: NodeJS.ProcessEnv = process.env): {
  kind: SpawnerKind;
  file: string | null;
} {
  const wanted = env.KTIMER_SPAWNER ?? '';
  if (!['', 'native', 'node'].includes(wanted))
    throw new KtimerError(
      'usage',
      `KTIMER_SPAWNER is "${wanted}"; expected native, node, or nothing (native where built)`,
    );
  if (wanted === 'node') return { kind: 'node', file: null };
  const file = nativeSpawnerPath();
  if (file) return { kind: 'native', file };
  if (wanted === 'native')
    throw new KtimerError(
      'daemon',
      'KTIMER_SPAWNER=native, but the native shell spawner was not built: run `npm run build` where a C compiler (cc) is installed',
    );
  return { kind: 'node', file: null };
}

const MAX_SPAWNERS = 2;
/** Commands sent to a spawner and not yet started by it, beyond which a second one helps. */
const BACKLOG_FOR_SECOND = 4;
const IDLE_EXIT_MS = 60_000;

interface Pending {
  resolve: (r: RunnerResult) => void;
  onOutput: OutputListener | undefined;
}

export interface ShellPoolOptions {
  /** How long an extra spawner stays once idle, ms. */
  idleExitMs?: number;
  /** Which spawner (chooseSpawner()). */
  spawner?: { kind: SpawnerKind; file: string | null };
  /** What a spawner does with its commands when the daemon goes away (task_keep_orphans). */
  orphans?: OrphanPolicy;
  /** Variables every task gets, over the daemon's environment less KTIMER_* (task-env.ts). */
  env?: Readonly<Record<string, string>>;
}

/** The default: stopped, with shutdown_grace's default. */
const STOP_ORPHANS: OrphanPolicy = { stop: true, graceMs: 30_000 };

class Spawner {
  readonly pending = new Map<number, Pending>();
  /** Sent, not yet reported started. */
  backlog = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly proc: SpawnerProcess,
    private readonly onIdle: () => void,
    private readonly idleExitMs: number,
  ) {}

  send(msg: ToSpawner): void {
    clearTimeout(this.idleTimer);
    this.proc.hold(true);
    this.proc.send(msg);
  }

  settled(): void {
    if (this.pending.size > 0) return;
    // Idle: it must not keep a stopping daemon alive, and it goes after a while.
    this.proc.hold(false);
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(this.onIdle, this.idleExitMs).unref();
  }
}

export class ShellPool {
  private readonly spawners: Spawner[] = [];
  private nextId = 0;

  private readonly nativeFile: string | null;
  private readonly idleExitMs: number;
  private readonly orphans: OrphanPolicy;
  private readonly env: Record<string, string>;

  constructor(opts: ShellPoolOptions = {}) {
    this.nativeFile = (opts.spawner ?? chooseSpawner()).file;
    this.idleExitMs = opts.idleExitMs ?? IDLE_EXIT_MS;
    this.orphans = opts.orphans ?? STOP_ORPHANS;
    this.env = taskBaseEnv(process.env, opts.env);
  }

  /** The spawner processes alive now (for tests). */
  get pids(): number[] {
    return this.spawners.map((s) => s.proc.pid ?? 0);
  }

  /** Commands sent and not yet started (for tests). */
  get waiting(): number {
    return this.spawners.reduce((n, s) => n + s.backlog, 0);
  }

  /** Runs a command in a spawner; `onOutput` gets its output as it is printed (the live tail). */
  run(req: FireRequest, onOutput?: OutputListener): RunningTask {
    const problem = requestProblem(req);
    if (problem !== null) return { result: Promise.resolve(shellNotRun(problem)), kill: () => {} };
    const id = this.nextId++;
    const spawner = this.pick();
    const result = new Promise<RunnerResult>((resolve) => spawner.pending.set(id, { resolve, onOutput }));
    spawner.backlog++;
    // Wall clock, same machine: the spawner measures from it how long the command waited.
    spawner.send({ op: 'run', id, req: { ...req, handedMs: Date.now() }, live: onOutput !== undefined });
    return {
      result,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        if (spawner.pending.has(id) && this.spawners.includes(spawner))
          spawner.send({ op: 'kill', id, signal });
      },
    };
  }

  /** Starts the first spawner now, so that the first shell task does not wait for it. */
  warm(): void {
    if (this.spawners.length === 0) this.start().settled();
  }

  /** Ends the spawners (the daemon is stopping and its tasks are over). */
  async close(): Promise<void> {
    await Promise.all([...this.spawners].map((s) => this.retire(s, 'the daemon stopped')));
  }

  /** The spawner with the least backlog; a new one if all are behind and there is room. */
  private pick(): Spawner {
    const best = this.spawners.reduce<Spawner | undefined>(
      (a, s) => (a === undefined || s.backlog < a.backlog ? s : a),
      undefined,
    );
    if (best && (best.backlog < BACKLOG_FOR_SECOND || this.spawners.length >= MAX_SPAWNERS)) return best;
    return this.start();
  }

  private start(): Spawner {
    const proc = this.nativeFile
      ? new NativeSpawnerProcess(this.nativeFile, this.orphans, this.env)
      : new NodeSpawnerProcess(this.orphans, this.env);
    // The last spawner stays: only an extra one goes when idle.
    const spawner: Spawner = new Spawner(
      proc,
      () => {
        if (this.spawners.length > 1) void this.retire(spawner, 'idle');
      },
      this.idleExitMs,
    );
    proc.on('message', (msg: FromSpawner) => {
      if (msg.op === 'started') {
        spawner.backlog--;
        return;
      }
      const p = spawner.pending.get(msg.id);
      if (!p) return;
      if (msg.op === 'output') {
        p.onOutput?.(msg.chunk);
        return;
      }
      spawner.pending.delete(msg.id);
      p.resolve(msg.result);
      spawner.settled();
    });
    proc.on('error', (err: Error) => this.lost(spawner, `shell spawner failed: ${err.message}`));
    proc.on('exit', (code, signal) =>
      this.lost(spawner, `shell spawner exited (${signal ?? `code ${code}`})`),
    );
    this.spawners.push(spawner);
    return spawner;
  }

  private async retire(spawner: Spawner, why: string): Promise<void> {
    if (!this.lost(spawner, why)) return;
    await spawner.proc.end();
  }

  /** Forgets a spawner and fails what it ran; false if it was gone already. */
  private lost(spawner: Spawner, why: string): boolean {
    const i = this.spawners.indexOf(spawner);
    if (i < 0) return false;
    this.spawners.splice(i, 1);
    for (const [id, p] of spawner.pending) {
      spawner.pending.delete(id);
      p.resolve({ ...emptyResult('shell'), error: `${why}; the command's outcome is unknown` });
    }
    return true;
  }
}
