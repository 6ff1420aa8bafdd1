// Labels say where a task may run: a task's `on` names labels, and only a daemon holding all of
// them fires it. A daemon holds the labels of `[daemon] labels` and its own `host:<name>`. The
// rules of a label, of a daemon's name and of a fleet's name live here, for the task rules and
// the config alike (docs/fleet.md).

export const MAX_LABELS = 16;
export const MAX_DAEMON_LABELS = 64;
export const MAX_LABEL_CHARS = 64;
/** `host:<name>` is every daemon's own label, so a label may hold a colon. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
export const LABEL_RULE = `a letter or digit, then letters, digits, . _ : or - (at most ${MAX_LABEL_CHARS} characters)`;

/** A daemon's name and a fleet's: as a label, without the colon (a daemon's owner id is `name:pid:tag`). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const NAME_RULE = 'a letter or digit, then letters, digits, . _ or - (at most 64 characters)';

export const isLabel = (label: string): boolean => label.length <= MAX_LABEL_CHARS && LABEL.test(label);
export const isName = (name: string): boolean => NAME.test(name);

/** The label every daemon holds: its own name's. */
export const hostLabel = (daemonName: string): string => `host:${daemonName}`;

/**
 * A set of labels as Redis keeps it: sorted, joined by commas (a label holds no comma). Tasks of
 * one set share a schedule of their own (docs/internals.md "Placement").
 */
export const labelSetKey = (labels: readonly string[]): string => [...labels].sort().join(',');

/** Whether a daemon holding `held` may run a task that needs `wanted`: it holds all of them. */
export function covers(held: readonly string[], wanted: readonly string[]): boolean {
  const have = new Set(held);
  return wanted.every((l) => have.has(l));
}

/** A host name made a daemon's name: what the rule refuses becomes `-`. */
export function nameOfHost(host: string): string {
  const name = host
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return name === '' ? 'localhost' : name;
}
