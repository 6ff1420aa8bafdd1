// IANA time zone names, as the platform (Intl) knows them: shared by conf.ini's [task] timezone
// and a task's -tz.

let canonical: ReadonlySet<string> | undefined;

export function isTimeZone(tz: string): boolean {
  if (tz === '') return false;
  // Every command reads [task] timezone: UTC costs nothing, the list of canonical names ~2 ms,
  // and the first DateTimeFormat ~30 ms (ICU's locale data), left for aliases (US/Eastern).
  if (tz === 'UTC') return true;
  canonical ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (canonical.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone's name as the user wrote it, its case as the platform spells it (`europe/berlin` ->
 * `Europe/Berlin`), or null when it is no zone: what a task stores, so the same zone reads the
 * same everywhere. An alias stays as written (`Asia/Kolkata`, which ICU calls `Asia/Calcutta`;
 * `US/Eastern`): it names the same zone, and it is the name its user knows.
 */
export function canonicalZone(tz: string): string | null {
  if (!isTimeZone(tz)) return null;
  if (canonical?.has(tz) || tz === 'UTC') return tz;
  const lower = tz.toLowerCase();
  for (const name of canonical ?? []) if (name.toLowerCase() === lower) return name;
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === lower ? resolved : tz;
}

/** This machine's zone (what `ktimer init` writes into conf.ini), UTC when it cannot tell. */
export function machineTimeZone(): string {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return tz && isTimeZone(tz) ? tz : 'UTC';
}
