// The native shell spawner (native/ktimer-spawn.c, built by `npm run build` where a C compiler
// is found) behind the same messages as a Node spawner. It starts commands about 20x cheaper
// than Node can (bench/RESULTS.md); this side keeps their timeouts, decodes their live output and
// builds their results. The records it reads and writes are described at the top of the C file.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { accessSync, constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { armTimeout, killGroup, type OrphanPolicy, orphanArgs } from './group-kill.js';
import { LiveDecoder } from './live-output.js';
import { boundedText } from './output-capture.js';
import { type FireRequest, OUTPUT_MAX_DEFAULT, shellEnded, shellNotRun } from './runner-result.js';
import type { FromSpawner, ToSpawner } from './spawner-messages.js';
import { endChild, type SpawnerProcess } from './spawner-process.js';
import { runEnv } from './task-env.js';

/** The built helper: beside the bundle, or in dist/bundle when running from source (tests). */
export function nativeSpawnerPath(): string | null {
  const ts = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(
    new URL(ts ? '../../dist/bundle/ktimer-spawn' : './ktimer-spawn', import.meta.url),
  );
  try {
    accessSync(file, fsConstants.X_OK);
    return file;
  } catch {
    return null;
  }
}

const signalNames = new Map(Object.entries(osConstants.signals).map(([name, n]) => [n, name]));

interface Task {
  req: FireRequest;
  pid: number | null;
  startedMs: number;
  timer: NodeJS.Timeout | undefined;
  timedOut: boolean;
  /** A kill that came before the command had started. */
  pendingKill: NodeJS.Signals | null;
  live: LiveDecoder | null;
}

/** The request record: a header line, then the command, the variables, the cwd and the user. */
function requestRecord(id: number, req: FireRequest, live: boolean): Buffer {
  let env = '';
  for (const [name, value] of runEnv(req)) env += `${name}=${value}\0`;
  const cwd = req.cwd ?? '';
  const user = req.user ?? '';
  const lengths = [req.command, env, cwd, user].map((f) => Buffer.byteLength(f)).join(' ');
  const outputMax = req.outputMax ?? OUTPUT_MAX_DEFAULT;
  // One buffer a request: a burst sends thousands.
  return Buffer.from(`R ${id} ${outputMax} ${live ? 1 : 0} ${lengths}\n${req.command}${env}${cwd}${user}`);
}

/** How many bytes follow a record's header line. */
function bodyLength(head: string[]): number {
  switch (head[0]) {
    case 'S':
      return 0;
    case 'D':
      return [6, 7, 9, 10].reduce((sum, i) => sum + Number(head[i]), 0);
    default:
      return Number(head.at(-1));
  }
}

export class NativeSpawnerProcess extends EventEmitter implements SpawnerProcess {
  private readonly proc: ChildProcess;
  private readonly tasks = new Map<number, Task>();
  private pending: Buffer = Buffer.alloc(0);

  constructor(file: string, orphans: OrphanPolicy, env: NodeJS.ProcessEnv) {
    super();
    this.proc = spawn(file, orphanArgs(orphans), {
      // Its own process group: a Ctrl-C or a group kill meant for the daemon does not reach it.
      detached: true,
      stdio: ['pipe', 'pipe', 'inherit'],
      env,
    });
    this.proc.stdout?.on('data', (chunk: Buffer) => this.read(chunk));
    // Writing to a helper that died fails; its 'exit' tells the pool.
    this.proc.stdin?.on('error', () => {});
    this.proc.on('exit', (code, signal) => this.emit('exit', code, signal));
    this.proc.on('error', (err) => this.emit('error', err));
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  send(msg: ToSpawner): void {
    if (msg.op === 'kill') {
      const task = this.tasks.get(msg.id);
      if (task?.pid) killGroup(task.pid, msg.signal);
      else if (task) task.pendingKill = msg.signal;
      return;
    }
    const { id, req, live } = msg;
    const post = (m: FromSpawner) => this.emit('message', m);
    this.tasks.set(id, {
      req,
      pid: null,
      startedMs: 0,
      timer: undefined,
      timedOut: false,
      pendingKill: null,
      live: live ? new LiveDecoder((chunk) => post({ op: 'output', id, chunk })) : null,
    });
    this.proc.stdin?.write(requestRecord(id, req, live));
  }

  hold(busy: boolean): void {
    for (const handle of [this.proc, this.proc.stdin, this.proc.stdout]) {
      const h = handle as { ref?: () => void; unref?: () => void } | null;
      if (busy) h?.ref?.();
      else h?.unref?.();
    }
  }

  end(): Promise<void> {
    return endChild(this.proc, () => this.proc.stdin?.end());
  }

  /** Records: a header line, then as many bytes as its fields say. */
  private read(chunk: Buffer): void {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      const nl = this.pending.indexOf(10);
      if (nl < 0) return;
      const head = this.pending.toString('latin1', 0, nl).split(' ');
      const length = bodyLength(head);
      if (this.pending.length < nl + 1 + length) return;
      const body = this.pending.subarray(nl + 1, nl + 1 + length);
      this.pending = this.pending.subarray(nl + 1 + length);
      this.record(head, body);
    }
  }

  private record(head: string[], body: Buffer): void {
    const id = Number(head[1]);
    const task = this.tasks.get(id);
    if (!task) return;
    const post = (msg: FromSpawner) => this.emit('message', msg);
    switch (head[0]) {
      case 'S':
        this.started(id, task, Number(head[2]), Number(head[3]));
        return;
      case 'O':
        task.live?.emit(head[2] === '2' ? 'stderr' : 'stdout', body, Number(head[3]));
        return;
      case 'F':
        this.tasks.delete(id);
        post({ op: 'started', id, pid: null });
        post({ op: 'done', id, result: shellNotRun(body.toString()) });
        return;
      default:
        this.tasks.delete(id);
        clearTimeout(task.timer);
        post({ op: 'done', id, result: this.ended(task, head, body) });
    }
  }

  private started(id: number, task: Task, pid: number, startedMs: number): void {
    task.pid = pid;
    task.startedMs = startedMs;
    task.timer = armTimeout(pid, task.req.timeoutMs, () => {
      task.timedOut = true;
    });
    this.emit('message', { op: 'started', id, pid } satisfies FromSpawner);
    if (task.pendingKill) killGroup(pid, task.pendingKill);
  }

  /** "D <id> x|s <value> <ended_ms> <t1> <h1> <l1> <t2> <h2> <l2>" and the kept bytes. */
  private ended(task: Task, head: string[], body: Buffer) {
    const [t1, h1, l1, t2, h2, l2] = head.slice(5).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    let at = 0;
    const take = (n: number) => body.subarray(at, (at += n));
    const stdout = boundedText(take(h1), take(l1), t1);
    const stderr = boundedText(take(h2), take(l2), t2);
    const bySignal = head[2] === 's';
    const value = Number(head[3]);
    return shellEnded({
      handedMs: task.req.handedMs ?? task.startedMs,
      startedMs: task.startedMs,
      endedMs: Number(head[4]),
      exitCode: bySignal ? null : value,
      signal: bySignal ? (signalNames.get(value) ?? `signal ${value}`) : null,
      timedOutAfterMs: task.timedOut ? task.req.timeoutMs : 0,
      stdout,
      stderr,
    });
  }
}
