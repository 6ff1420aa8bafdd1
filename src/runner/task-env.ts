// The environment a shell task gets (docs/running-tasks.md): the daemon's own without ktimer's
// variables (KTIMER_*: the daemon's settings, stale run values), the variables given to every task
// (ShellPool's `env`: the daemon's config file, [task] env_file), then as the run asks: the
// user's HOME, USER, LOGNAME and SHELL with -user, the task's -env, and the run's KTIMER_KID,
// KTIMER_DUE, KTIMER_FIRE_ID, KTIMER_NAME, which nothing overrides. Also the checks a request
// passes before any spawner sees it.
import type { FireRequest } from './runner-result.js';

const OWN_PREFIX = 'KTIMER_';

/** The environment every command starts from: `env` less KTIMER_*, then `forEveryTask`. */
export function taskBaseEnv(
  env: NodeJS.ProcessEnv,
  forEveryTask: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !name.startsWith(OWN_PREFIX)) base[name] = value;
  }
  return { ...base, ...forEveryTask };
}

/** What a run sets over its base environment, in order (a later one wins): -env, then the run's own. */
export function runEnv(req: FireRequest): [string, string][] {
  // Per run, in a burst: no spreads.
  const vars: [string, string][] = req.env ? Object.entries(req.env) : [];
  vars.push(['KTIMER_KID', req.kid], ['KTIMER_DUE', (req.dueMs / 1000).toFixed(3)]);
  if (req.fireId !== undefined) vars.push(['KTIMER_FIRE_ID', req.fireId]);
  if (req.name !== undefined) vars.push(['KTIMER_NAME', req.name]);
  return vars;
}

/** The variables -user sets (as cron and sudo do), under the task's own -env. */
export const userEnv = (u: { name: string; home: string; shell: string }): Record<string, string> => ({
  HOME: u.home,
  USER: u.name,
  LOGNAME: u.name,
  SHELL: u.shell,
});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A user name as useradd takes it (and a machine account's trailing $). */
const USER_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/;

/** Why a request cannot run as it is (nothing is started), or null. */
export function requestProblem(req: FireRequest): string | null {
  if (req.command.includes('\0')) return 'the command holds a NUL byte';
  if (req.env)
    for (const [name, value] of Object.entries(req.env)) {
      if (!ENV_NAME.test(name)) return `env: "${name}" is not a variable name (letters, digits, _)`;
      if (value.includes('\0')) return `env ${name}: the value holds a NUL byte`;
    }
  if (req.cwd?.includes('\0')) return 'cwd: the path holds a NUL byte';
  if (req.cwd !== undefined && !req.cwd.startsWith('/')) return `cwd "${req.cwd}" is not an absolute path`;
  if (req.user !== undefined && !USER_NAME.test(req.user)) return `user "${req.user}" is not a user name`;
  return null;
}
