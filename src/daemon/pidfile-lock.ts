// Taking the pidfile: one daemon per file, even when two start at the same instant. The
// check-then-write runs under a lock directory (mkdir is atomic); a lock left by a process that
// died inside that few-millisecond window is cleared after 10 s.
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { KtimerError } from '../errors.js';
import { readPidfile, writePidfile } from './pidfile.js';

const STALE_LOCK_MS = 10_000;

export function acquirePidfile(path: string, pid: number): void {
  const lock = `${path}.lock`;
  takeLock(lock);
  try {
    const current = readPidfile(path);
    if (current.state === 'running' && current.pid !== pid) {
      throw new KtimerError('daemon', `ktimer is already running [${current.pid}] (pidfile ${path})`);
    }
    writePidfile(path, pid);
  } finally {
    rmdirSync(lock);
  }
}

function takeLock(lock: string): void {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      mkdirSync(lock, { recursive: false });
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        mkdirSync(lock.replace(/\/[^/]+$/, ''), { recursive: true });
        continue;
      }
      if (code !== 'EEXIST')
        throw new KtimerError('daemon', `cannot create ${lock}: ${code}; check the runtime dir`);
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmdirSync(lock);
      } catch {
        // removed by its owner meanwhile
      }
      if (Date.now() > deadline)
        throw new KtimerError('daemon', `pidfile lock ${lock} is held; another start is under way`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
