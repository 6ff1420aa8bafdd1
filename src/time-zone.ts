// IANA time zone names, as the platform (Intl) knows them: shared by conf.ini's [task] timezone
// and a task's -tz.

export function isTimeZone(tz: string): boolean {
  if (tz === '') return false;
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
