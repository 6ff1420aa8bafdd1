// One bash session, as a reader's terminal: commands run one after the other in the same shell
// (variables set by one are there for the next), each with its output (stdout and stderr in the
// order printed) and exit status. For the docs' examples (test/e2e/docs-examples.test.ts).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ShellResult {
  output: string;
  code: number;
}

export class ShellSession {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly scripts = mkdtempSync(join(tmpdir(), 'ktimer-shell-'));
  private readonly marker = `__ktimer_docs_${randomBytes(6).toString('hex')}__`;
  private buffer = '';
  private count = 0;
  private waiting: (() => void) | undefined;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.proc = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.buffer += d;
      this.waiting?.();
    });
    this.proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.buffer += d;
      this.waiting?.();
    });
    this.proc.stdin.write('exec 2>&1; __rc=0\n');
  }

  /**
   * Runs one command as typed at the prompt. It reads its stdin from /dev/null (never the
   * session's own), so a here-document is the only input it gets.
   */
  async run(command: string, timeoutMs = 60_000): Promise<ShellResult> {
    const file = join(this.scripts, `${++this.count}.sh`);
    writeFileSync(file, `${command}\n`);
    this.buffer = '';
    // `$?` is the last command's status, as in a terminal: the marker's printf must not reset it.
    this.proc.stdin.write(
      `(exit $__rc); . '${file}' </dev/null; __rc=$?; printf '\\n${this.marker} %s\\n' "$__rc"\n`,
    );
    const end = new RegExp(`\\n?${this.marker} (\\d+)\\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = end.exec(this.buffer);
      if (m) return { output: this.buffer.slice(0, m.index), code: Number(m[1]) };
      if (this.proc.exitCode !== null)
        throw new Error(`the shell exited (${this.proc.exitCode}): ${this.buffer}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no end after ${timeoutMs} ms of: ${command}\n${this.buffer}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }

  close(): void {
    this.proc.stdin.end();
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    rmSync(this.scripts, { recursive: true, force: true });
  }
}
