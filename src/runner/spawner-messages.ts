// What the daemon and a shell spawner process say to each other (over the IPC channel).
import type { FireRequest, OutputChunk, RunnerResult } from './runner-result.js';

export type ToSpawner =
  /** `live`: send the command's output as it is printed (`output` messages). */
  | { op: 'run'; id: number; req: FireRequest; live: boolean }
  | { op: 'kill'; id: number; signal: NodeJS.Signals };

export type FromSpawner =
  /** The command's process exists (its pid is its process group), or null: it will not run. */
  | { op: 'started'; id: number; pid: number | null }
  | { op: 'output'; id: number; chunk: OutputChunk }
  | { op: 'done'; id: number; result: RunnerResult };
