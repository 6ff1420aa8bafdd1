// Starts test/helpers/pool-driver.ts (a process owning a ShellPool) and reads its events.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FireRequest, RunnerResult } from '../../src/runner/runner-result.js';
import type { SpawnerKind } from '../../src/runner/shell-pool.js';
import { waitFor } from './wait.js';

const DRIVER = fileURLToPath(new URL('./pool-driver.ts', import.meta.url));

export interface Driver {
  proc: ChildProcess;
  events: Record<string, unknown>[];
  /** Its spawner's pid, once it said. */
  spawnerPid(): Promise<number>;
  result(timeoutMs?: number): Promise<RunnerResult>;
  exited: Promise<void>;
}

export function startDriver(
  kind: SpawnerKind,
  orphans: number | 'keep',
  req: FireRequest,
  as?: { uid: number; gid: number },
): Driver {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', DRIVER, kind, String(orphans), JSON.stringify(req)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      ...as,
    },
  );
  const events: Record<string, unknown>[] = [];
  let rest = '';
  proc.stdout?.setEncoding('utf8').on('data', (text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) events.push(JSON.parse(line) as Record<string, unknown>);
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const find = (name: string) => events.find((e) => e.event === name);
  return {
    proc,
    events,
    exited,
    spawnerPid: async () => {
      const e = await waitFor(() => find('spawners'), { what: 'the driver started its pool' });
      return (e.pids as number[])[0] ?? 0;
    },
    result: async (timeoutMs = 15_000) => {
      const e = await waitFor(() => find('done'), { what: 'the run done', timeoutMs });
      return e.result as RunnerResult;
    },
  };
}
