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

/** Whether any process of the group is left. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How often a spawner that lost its daemon looks whether its commands' groups are gone. */
const GONE_POLL_MS = 100;

/**
 * Stops the groups of commands whose daemon is gone (issue 29): SIGTERM now, SIGKILL to what is
 * left after `graceMs`. Resolves once every group is gone, or right after the SIGKILL.
 */
export async function stopGroups(pgids: readonly number[], graceMs: number): Promise<void> {
  for (const pgid of pgids) killGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pgids.some(groupAlive) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(GONE_POLL_MS, deadline - Date.now())));
  }
  for (const pgid of pgids) if (groupAlive(pgid)) killGroup(pgid, 'SIGKILL');
}

/** What a spawner does with its commands when its daemon goes away (its start arguments). */
export type OrphanPolicy = { stop: true; graceMs: number } | { stop: false };

export const orphanArgs = (p: OrphanPolicy): string[] =>
  p.stop ? ['--stop-orphans', String(p.graceMs)] : ['--keep-orphans'];

/** The policy from a spawner's arguments; stop with no grace when they say nothing readable. */
export function orphanPolicyOf(args: readonly string[]): OrphanPolicy {
  if (args[0] === '--keep-orphans') return { stop: false };
  const graceMs = Number(args[1]);
  return { stop: true, graceMs: args[0] === '--stop-orphans' && graceMs >= 0 ? graceMs : 0 };
}
