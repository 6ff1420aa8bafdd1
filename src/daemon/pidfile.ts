// The pidfile: one daemon per file. Written atomically (temp file + rename), so a reader never
// sees half a pid; a dead pid or garbage in it means the file is stale and may be replaced.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

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

/** After a reboot a pid may belong to another program; Linux tells through /proc. */
function looksLikeKtimer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ktimer');
  } catch (err) {
    // No /proc (not Linux): trust the pid.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
}

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
  if (!looksLikeKtimer(pid)) return { state: 'stale', detail: `pid ${pid} is another program now` };
  return { state: 'running', pid };
}

export function writePidfile(path: string, pid: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${pid}.tmp`;
  writeFileSync(tmp, `${pid}\n`, { mode: 0o644 });
  renameSync(tmp, path);
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
}
