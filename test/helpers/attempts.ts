// A command whose attempts note what happened to them, for the tests of runs lost with their
// daemon (e2e/lost-runs, e2e/partition): each attempt writes when it starts and on which daemon
// (its KTIMER_CONFIG) to `dir`/events; the first daemon's ignores SIGTERM (noting when it came),
// writes its pid and works for 30 s, then notes `done`; the other daemon's, the retry or the next
// run, ends at once.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './wait.js';

export class Attempts {
  constructor(
    /** Where the command notes things. */
    readonly dir: string,
    /** The config of the daemon whose attempt ends at once. */
    private readonly quickConfig: string,
  ) {}

  /** The task's -command. */
  get command(): string {
    const events = join(this.dir, 'events');
    return (
      `mkdir -p ${this.dir}; echo "start $(date +%s%3N) $KTIMER_CONFIG" >> ${events}; ` +
      `[ "$KTIMER_CONFIG" = "${this.quickConfig}" ] && exit 0; trap 'echo "term $(date +%s%3N)" >> ${events}' TERM; ` +
      `echo $$ > ${this.dir}/pid; for ((i = 0; i < 300; i++)); do sleep 0.1; done; echo "done $(date +%s%3N)" >> ${events}`
    );
  }

  lines(): string[] {
    const file = join(this.dir, 'events');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
  }

  /** The process group of the long attempt, once it runs. */
  running(): Promise<number> {
    const pidFile = join(this.dir, 'pid');
    return waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0), {
      what: 'the long attempt running',
    });
  }

  /** When the quick attempt started, unix ms. */
  async quickStarted(timeoutMs: number): Promise<number> {
    const line = await waitFor(() => this.lines().find((l) => l.endsWith(` ${this.quickConfig}`)), {
      what: 'the quick attempt started',
      timeoutMs,
    });
    return Number(line.split(' ')[1]);
  }

  /** When the long attempt got SIGTERM, unix ms (NaN: never). */
  termMs(): number {
    return Number(
      this.lines()
        .find((l) => l.startsWith('term '))
        ?.split(' ')[1],
    );
  }

  /** Whether the long attempt ever finished. */
  finished(): boolean {
    return this.lines().some((l) => l.startsWith('done '));
  }
}
