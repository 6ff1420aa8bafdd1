// The pidfile: one daemon per file. Written atomically (temp file + rename), so a reader never
// sees half a pid. A pid is trusted only when that process holds the pidfile open (see
// daemon-identity.ts): a dead pid, another program, or garbage means the file is stale.
import { closeSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic, writeFileAtomicOpen } from '../atomic-write.js';
import { isDaemonOf } from './daemon-identity.js';

export type PidState =
  { state: 'running'; pid: number } | { state: 'stale'; detail: string } | { state: 'absent' };

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What status, start, stop, restart, info and init all go by: is the daemon of this pidfile running? */
export function readPidfile(path: string): PidState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    throw err;
  }
  const pid = /^\s*(\d{1,10})\s*$/.test(text) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(pid) || pid <= 1)
    return { state: 'stale', detail: `it holds no pid ("${text.slice(0, 20).trim()}")` };
  if (!isAlive(pid)) return { state: 'stale', detail: `pid ${pid} is not running` };
  if (!isDaemonOf(pid, path))
    return { state: 'stale', detail: `pid ${pid} is not the ktimer daemon of this pidfile` };
  return { state: 'running', pid };
}

/** The pidfile this process wrote for itself, held open for as long as it runs. */
const held = new Map<string, number>();

export function writePidfile(path: string, pid: number): void {
  mkdirSync(dirname(path), { recursive: true });
  if (pid !== process.pid) {
    writeFileAtomic(path, `${pid}\n`, 0o644);
    return;
  }
  release(path);
  held.set(path, writeFileAtomicOpen(path, `${pid}\n`, 0o644));
}

/** Removes the pidfile if it still names `pid` (a newer daemon may own it by now), or if `stale`. */
export function removePidfile(path: string, pid: number, stale = false): void {
  try {
    if (stale ? readPidfile(path).state === 'stale' : readFileSync(path, 'utf8').trim() === String(pid)) {
      rmSync(path, { force: true });
    }
  } catch {
    // already gone
  }
  if (pid === process.pid) release(path);
}

function release(path: string): void {
  const fd = held.get(path);
  if (fd === undefined) return;
  held.delete(path);
  closeSync(fd);
}
