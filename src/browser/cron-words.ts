// A cron expression in words (cronstrue: the one package the page bundles, about 24 KB minified;
// README "Dependencies"), beside the expression itself, which stays visible.
import cronstrue from 'cronstrue';

/** "At 03:30", or null when cronstrue cannot read it (the expression alone is shown). */
export function cronInWords(expr: string): string | null {
  try {
    return cronstrue.toString(expr, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return null;
  }
}
