// What the daemon's main thread and the shell runner's thread say to each other.
import type { FireRequest, RunResult } from './run-result.js';

export type ToShellThread =
  { op: 'run'; id: number; req: FireRequest } | { op: 'kill'; id: number; signal: NodeJS.Signals };

export interface FromShellThread {
  id: number;
  result: RunResult;
}
