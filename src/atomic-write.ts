// Replacing a file whole, so a reader never sees half of it (pidfile, state file, conf.ini): a
// temp file beside it, then rename. The temp file is opened O_CREAT|O_EXCL|O_NOFOLLOW under a
// random name: a symlink or file planted at that name is never followed or overwritten (the
// open fails and another name is tried), so nobody can make us write through it.
import { closeSync, constants, openSync, renameSync, rmSync, writeSync } from 'node:fs';

const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const ATTEMPTS = 5;

/** Math.random, not node:crypto (5-10 ms to load on a one-shot command): O_EXCL makes it safe. */
const randomSuffix = (): string =>
  `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

/** Writes `data` to `path` in one step; a new file gets `mode` (less the umask). */
export function writeFileAtomic(path: string, data: string, mode: number): void {
  closeSync(replaceFile(path, data, mode));
}

/** Same, and returns the new file's descriptor, still open (a daemon holds its pidfile open). */
export function writeFileAtomicOpen(path: string, data: string, mode: number): number {
  return replaceFile(path, data, mode);
}

function replaceFile(path: string, data: string, mode: number): number {
  const { fd, tmp } = openTemp(path, mode);
  try {
    writeSync(fd, data);
    renameSync(tmp, path);
    return fd;
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}

function openTemp(path: string, mode: number): { fd: number; tmp: string } {
  for (let attempt = 1; ; attempt++) {
    const tmp = `${path}.${randomSuffix()}.tmp`;
    try {
      return { fd: openSync(tmp, FLAGS, mode), tmp };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= ATTEMPTS) throw err;
    }
  }
}
