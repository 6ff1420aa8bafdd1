// runtime/<pidfile name>.state.json: what the running daemon is doing, for `ktimer info`.
// Rewritten atomically at most once a second while something changes. It lists the commands
// running now, so it gets the mode of the log files (log.file_mode), not 0644.
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-write.js';
import type { LoopHealth } from './health.js';

/** `start -d` detaches the daemon; `start` (systemd's way) keeps it in the foreground. */
export type DaemonMode = 'detached' | 'foreground';

/** How often the daemon rewrites its state file while nothing else changes it. */
export const STATE_REFRESH_MS = 5000;

export interface DaemonState {
  pid: number;
  /** How it was started: `start -d` (detached) or `start` (foreground); absent in an older daemon's file. */
  mode?: DaemonMode;
  owner: string;
  version: string;
  started_at: number;
  config: string;
  /** error: why the daemon cannot reach Redis (absent in an older daemon's file). */
  redis: { address: string; healthy: boolean; skew_ms: number; error?: string | null };
  web: { listening: string | null };
  fired_total: number;
  failed_total: number;
  running: {
    shell: number;
    url: number;
    tasks: { kid: string; fire_id: string; kind: string; command: string; started_ms: number }[];
  };
  /** The loop's health when the file was written (absent in an older daemon's file). */
  health?: LoopHealth;
  updated_at: number;
}

/** Why the daemon of `state` cannot reach Redis; null while it can (or nothing is known). */
export const daemonRedisProblem = (state: DaemonState | null): string | null =>
  state?.redis.healthy === false ? (state.redis.error ?? 'unavailable') : null;

export const stateFileOf = (pidfile: string): string => `${pidfile.replace(/\.pid$/, '')}.state.json`;

/** Writes the state; a new file gets `mode` (log.file_mode). */
export function writeState(path: string, state: DaemonState, mode: number): void {
  writeFileAtomic(path, `${JSON.stringify(state)}\n`, mode);
}

export function readState(path: string): DaemonState | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DaemonState;
  } catch {
    return null;
  }
}

export function removeState(path: string): void {
  rmSync(path, { force: true });
}
