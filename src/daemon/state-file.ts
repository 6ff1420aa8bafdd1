// runtime/<pidfile name>.state.json: what the running daemon is doing, for `ktimer info`.
// Rewritten atomically at most once a second while something changes.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export interface DaemonState {
  pid: number;
  owner: string;
  version: string;
  started_at: number;
  config: string;
  redis: { address: string; healthy: boolean; skew_ms: number };
  web: { listening: string | null };
  fired_total: number;
  failed_total: number;
  running: {
    shell: number;
    url: number;
    tasks: { kid: string; fire_id: string; kind: string; command: string; started_ms: number }[];
  };
  updated_at: number;
}

export const stateFileOf = (pidfile: string): string => `${pidfile.replace(/\.pid$/, '')}.state.json`;

export function writeState(path: string, state: DaemonState): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`);
  renameSync(tmp, path);
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
