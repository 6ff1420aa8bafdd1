// Ending a shell task: a signal to its whole process group (its pid: it runs in a session of its
// own), and the timeout that sends SIGTERM, then SIGKILL to whatever ignored it.

const KILL_AFTER_TERM_MS = 2000;

/** Signals every process of the group; nothing happens when the group is gone already. */
export function killGroup(pgid: number | null | undefined, signal: NodeJS.Signals): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * After `timeoutMs` (0 = never): `onTimeout()`, SIGTERM to the group, and SIGKILL two seconds
 * later, even if bash itself has exited. Returns what to clear when the task ends first.
 */
export function armTimeout(
  pgid: number | null | undefined,
  timeoutMs: number,
  onTimeout: () => void,
): NodeJS.Timeout | undefined {
  if (timeoutMs <= 0) return undefined;
  return setTimeout(() => {
    onTimeout();
    killGroup(pgid, 'SIGTERM');
    setTimeout(() => killGroup(pgid, 'SIGKILL'), KILL_AFTER_TERM_MS).unref();
  }, timeoutMs);
}
