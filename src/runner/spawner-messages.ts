// What the daemon and a shell spawner process say to each other (over the IPC channel).
import type { FireRequest, RunnerResult } from './runner-result.js';

export type ToSpawner =
  { op: 'run'; id: number; req: FireRequest } | { op: 'kill'; id: number; signal: NodeJS.Signals };

export type FromSpawner =
  /** The command's process exists (its pid is its process group). */
  { op: 'started'; id: number; pid: number | null } | { op: 'done'; id: number; result: RunnerResult };
