// The native shell spawner (native/ktimer-spawn.c, built by `npm run build` where a C compiler
// is found) behind the same messages as a Node spawner. It starts commands about 20x cheaper
// than Node can (bench/RESULTS.md); this side keeps their timeouts and builds their results.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { accessSync, constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { armTimeout, killGroup } from './group-kill.js';
import { type FireRequest, shellEnded, shellNotStarted } from './runner-result.js';
import type { FromSpawner, ToSpawner } from './spawner-messages.js';
import { endChild, type SpawnerProcess } from './spawner-process.js';

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
}

export class NativeSpawnerProcess extends EventEmitter implements SpawnerProcess {
  private readonly proc: ChildProcess;
  private readonly tasks = new Map<number, Task>();
  private pending: Buffer = Buffer.alloc(0);

  constructor(file: string) {
    super();
    this.proc = spawn(file, [], {
      // Its own process group: a Ctrl-C or a group kill meant for the daemon does not reach it.
      detached: true,
      stdio: ['pipe', 'pipe', 'inherit'],
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
    const { req } = msg;
    this.tasks.set(msg.id, {
      req,
      pid: null,
      startedMs: 0,
      timer: undefined,
      timedOut: false,
      pendingKill: null,
    });
    const fields = [req.kid, (req.dueMs / 1000).toFixed(3), req.command].map((f) => Buffer.from(f));
    this.proc.stdin?.write(
      Buffer.concat([Buffer.from(`R ${msg.id} ${fields.map((f) => f.length).join(' ')}\n`), ...fields]),
    );
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

  /** Records: a header line, then as many bytes as its last field says (none for S). */
  private read(chunk: Buffer): void {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      const nl = this.pending.indexOf(10);
      if (nl < 0) return;
      const head = this.pending.toString('latin1', 0, nl).split(' ');
      const bodyLength = head[0] === 'S' ? 0 : Number(head.at(-1));
      if (this.pending.length < nl + 1 + bodyLength) return;
      const body = this.pending.subarray(nl + 1, nl + 1 + bodyLength);
      this.pending = this.pending.subarray(nl + 1 + bodyLength);
      this.record(head, body);
    }
  }

  private record(head: string[], body: Buffer): void {
    const id = Number(head[1]);
    const task = this.tasks.get(id);
    if (!task) return;
    const post = (msg: FromSpawner) => this.emit('message', msg);
    if (head[0] === 'S') {
      task.pid = Number(head[2]);
      task.startedMs = Number(head[3]);
      task.timer = armTimeout(task.pid, task.req.timeoutMs, () => {
        task.timedOut = true;
      });
      post({ op: 'started', id, pid: task.pid });
      if (task.pendingKill) killGroup(task.pid, task.pendingKill);
      return;
    }
    this.tasks.delete(id);
    if (head[0] === 'F') {
      post({ op: 'started', id, pid: null });
      post({ op: 'done', id, result: shellNotStarted(body.toString()) });
      return;
    }
    clearTimeout(task.timer);
    const bySignal = head[2] === 's';
    const value = Number(head[3]);
    const result = shellEnded({
      handedMs: task.req.handedMs ?? task.startedMs,
      startedMs: task.startedMs,
      endedMs: Number(head[4]),
      exitCode: bySignal ? null : value,
      signal: bySignal ? (signalNames.get(value) ?? `signal ${value}`) : null,
      timedOutAfterMs: task.timedOut ? task.req.timeoutMs : 0,
      output: body.toString('utf8'),
    });
    post({ op: 'done', id, result });
  }
}
