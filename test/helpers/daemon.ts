// Drives a real ktimer daemon for end-to-end tests: `bin/ktimer start -d` with a test config,
// its pid, its logs, and a guaranteed stop (SIGKILL) when a test ends.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type CliResult, readLogLines, runCli } from './cli.js';
import { isAlive } from '../../src/daemon/pidfile.js';
import { waitFor } from './wait.js';

export class TestDaemon {
  pid = 0;

  constructor(
    readonly config: string,
    /** Extra environment for the daemon's process (e.g. LD_PRELOAD for a skewed clock). */
    private readonly env: Record<string, string> = {},
  ) {}

  get dir(): string {
    return dirname(this.config);
  }

  get pidfile(): string {
    return join(this.dir, 'runtime', 'ktimer.pid');
  }

  log(name: 'serve' | 'runed' | 'error' | 'webac'): Record<string, unknown>[] {
    return readLogLines(join(this.dir, 'log', `${name}.log`));
  }

  /** runed.log entries of fires (event "fire"). */
  fires(): Record<string, unknown>[] {
    return this.log('runed').filter((e) => e.event === 'fire');
  }

  cli(args: string[]): Promise<CliResult> {
    return runCli([...args, '--config', this.config]);
  }

  async start(): Promise<CliResult> {
    const res = await runCli(['start', '-d', '--config', this.config], { env: this.env });
    const m = /ktimer started \[(\d+)\]/.exec(res.stdout);
    if (res.code !== 0 || !m) throw new Error(`start -d failed (${res.code}): ${res.stdout} ${res.stderr}`);
    this.pid = Number(m[1]);
    return res;
  }

  alive(): boolean {
    return this.pid !== 0 && isAlive(this.pid);
  }

  /** The kid printed by `add`. */
  async add(args: string[]): Promise<string> {
    const res = await this.cli(['add', ...args]);
    const m = /newkid:\[([0-9a-f]{32})\]/.exec(res.stdout);
    if (res.code !== 0 || !m) throw new Error(`add failed (${res.code}): ${res.stdout} ${res.stderr}`);
    return m[1] as string;
  }

  async waitForFires(
    count: number,
    timeoutMs = 15_000,
    filter: (e: Record<string, unknown>) => boolean = () => true,
  ) {
    return waitFor(
      () => {
        const fires = this.fires().filter(filter);
        return fires.length >= count ? fires : null;
      },
      { timeoutMs, what: `${count} fires in runed.log` },
    );
  }

  /** Resolves once `info --json` (the daemon's state file) shows `count` tasks running. */
  async waitForRunning(count: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(
      async () =>
        (JSON.parse((await this.cli(['info', '--json'])).stdout).running_tasks?.tasks ?? []).length === count,
      { timeoutMs, what: `${count} tasks running` },
    );
  }

  /** Kills the daemon for sure (after a test, or to simulate a crash). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive()) process.kill(this.pid, signal);
  }

  async waitExit(timeoutMs = 15_000): Promise<void> {
    await waitFor(() => !this.alive(), { timeoutMs, what: `daemon ${this.pid} to exit` });
  }

  pidfileText(): string | null {
    try {
      return readFileSync(this.pidfile, 'utf8');
    } catch {
      return null;
    }
  }
}
