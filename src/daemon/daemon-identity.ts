// Is process PID the daemon that wrote this pidfile? A pidfile only names a pid, and anyone who
// can write it (or a reboot reusing the pid) can make it name another process, which `stop`
// would then signal. The daemon holds its pidfile open while it runs (pidfile.ts), so on Linux
// /proc/PID/fd shows it: some descriptor of PID is the pidfile itself (same device and inode).
// Holding it is not enough (`tail -f ktimer.pid`, `exec 9<ktimer.pid` do): its command line must
// also be `ktimer ... start|restart`. Another user's process is not ours to list: then the
// command line alone counts (we could not signal it anyway, unless root, who can list).
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename } from 'node:path';

export function isDaemonOf(pid: number, pidfile: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return isDaemonCommand(commandLine(pid));
    // No /proc (not Linux): trust the pid, as a pidfile always did.
    return code === 'ENOENT' && !procMounted();
  }
  let file: { dev: number; ino: number };
  try {
    file = statSync(pidfile);
  } catch {
    return false;
  }
  return holds(pid, fds, file) && isDaemonCommand(commandLine(pid));
}

/** Whether one of `fds` of `pid` is `file`. */
function holds(pid: number, fds: readonly string[], file: { dev: number; ino: number }): boolean {
  return fds.some((fd) => {
    try {
      // Sockets, pipes and the like read as "socket:[123]": only paths can be the pidfile.
      if (!readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('/')) return false;
      const st = statSync(`/proc/${pid}/fd/${fd}`);
      return st.ino === file.ino && st.dev === file.dev;
    } catch {
      return false; // closed meanwhile
    }
  });
}

/** `node .../bin/ktimer [options] start|restart ...`: how every daemon process is started. */
export function isDaemonCommand(argv: readonly string[]): boolean {
  const bin = argv.findIndex((arg) => basename(arg) === 'ktimer');
  return bin >= 0 && argv.slice(bin + 1).some((arg) => arg === 'start' || arg === 'restart');
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function procMounted(): boolean {
  try {
    statSync('/proc/self');
    return true;
  } catch {
    return false;
  }
}
