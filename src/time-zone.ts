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

/** This machine's zone (what `ktimer init` writes into conf.ini), UTC when it cannot tell. */
export function machineTimeZone(): string {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return tz && isTimeZone(tz) ? tz : 'UTC';
}
