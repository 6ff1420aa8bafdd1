// A task's -env values are kept out of the logs, as URL credentials are (issue 24 item 7): an
// environment is where secrets are handed to commands. A task written to a log shows its variables'
// names and `***` for their values; a fire line masks the values of its task's variables wherever
// they appear (its output, its error, its command), and so do alerts (notify/alert-body.ts).
// Stored tasks keep the real values.

/** Values shorter than this are too common to mask in free text (`1`, `on`); a task's env field is always masked. */
export const MASKED_MIN_CHARS = 4;
const MASK = '***';

/** A task with its -env values masked (the names stay, to tell what was set). */
export function withEnvMasked<T extends { env?: Readonly<Record<string, string>> }>(task: T): T {
  if (!task.env) return task;
  return { ...task, env: Object.fromEntries(Object.keys(task.env).map((name) => [name, MASK])) };
}

/** `text` with every value of `env` (MASKED_MIN_CHARS or longer) shown as `***`, longest first. */
export function maskEnvValues(text: string, env: Readonly<Record<string, string>> | undefined): string {
  if (!env) return text;
  const values = Object.values(env)
    .filter((v) => v.length >= MASKED_MIN_CHARS && text.includes(v))
    .sort((a, b) => b.length - a.length);
  return values.reduce((out, v) => out.split(v).join(MASK), text);
}

/** The string fields of a log entry with `env`'s values masked. */
export function entryWithEnvMasked<T extends Record<string, unknown>>(
  entry: T,
  env: Readonly<Record<string, string>> | undefined,
): T {
  if (!env) return entry;
  const out: Record<string, unknown> = { ...entry };
  for (const [k, v] of Object.entries(out)) if (typeof v === 'string') out[k] = maskEnvValues(v, env);
  return out as T;
}

/**
 * A task as stored (JSON, maybe not valid: a corrupt one), with its env masked: decoded where it
 * decodes, else every `"env":{...}` object's text replaced.
 */
export function rawTaskWithEnvMasked(raw: string): string {
  if (!raw.includes('"env"')) return raw;
  try {
    const task: unknown = JSON.parse(raw);
    if (typeof task === 'object' && task !== null && !Array.isArray(task)) {
      const t = task as { env?: unknown };
      if (isStringMap(t.env)) {
        const env = t.env;
        return maskEnvValues(JSON.stringify(withEnvMasked({ ...t, env })), env);
      }
    }
  } catch {
    // Not JSON: masked as text below.
  }
  return raw.replace(/"env"\s*:\s*\{[^}]*\}?/g, `"env":"${MASK}"`);
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');
