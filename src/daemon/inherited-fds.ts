// Descriptors the daemon inherited open from whoever started it (a shell's `exec 200>file`, a
// service manager's), beyond stdin, stdout and stderr: each would reach every task, which could
// read or write them. Node opens its own with close-on-exec, so those without it are the
// inherited ones; they are closed before any spawner or task starts. Linux: read from /proc.
import { closeSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/** Closes every inherited descriptor but stdio and `keep`; returns the ones it closed. */
export function closeInheritedFds(keep: readonly number[] = []): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return []; // no /proc: nothing can be told apart
  }
  const closed: number[] = [];
  for (const fd of names.map(Number)) {
    if (fd <= 2 || keep.includes(fd) || closeOnExec(fd)) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // gone meanwhile (the directory listing's own descriptor)
    }
  }
  return closed;
}

function closeOnExec(fd: number): boolean {
  try {
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags === undefined || (Number.parseInt(flags, 8) & O_CLOEXEC) !== 0;
  } catch {
    return true; // gone meanwhile: nothing to close
  }
}
