// How the Node spawner runs a command as another user (-user), and where it runs (-cwd). Node's
// spawn() can set a uid and gid but clears the supplementary groups (libuv calls setgroups(0)), so
// the switch is made by util-linux's setpriv, which sets the gid, the user's groups (initgroups)
// and the uid in that order, checks each call and exits 127 before running anything when one
// fails; the command's bash then checks its own uid once more. The user is looked up with getent,
// so that users from NSS (LDAP, sssd) count. The native spawner does all this itself, in C.
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import type { FireRequest } from './runner-result.js';
import { userEnv } from './task-env.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** The user's passwd entry (getent: files, LDAP, sssd ...), null when the machine knows none. */
export function lookupUser(name: string): Promise<PasswdEntry | null> {
  return new Promise((resolve, reject) => {
    execFile('getent', ['passwd', '--', name], { env: { PATH: '/usr/bin:/bin' } }, (err, out) => {
      if (err) {
        // getent exits 2 when the key is not found.
        if (err.code === 2) resolve(null);
        else reject(new Error(`getent passwd ${name}: ${err.message}`));
        return;
      }
      const [entryName, , uid, gid, , home, shell] = out.trim().split('\n')[0]?.split(':') ?? [];
      if (entryName === undefined || uid === undefined || gid === undefined) resolve(null);
      else
        resolve({
          name: entryName,
          uid: Number(uid),
          gid: Number(gid),
          home: home ?? '/',
          shell: shell ?? '',
        });
    });
  });
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

/** How a command is started: the program and its arguments, where, and the variables -user adds. */
export interface Launch {
  file: string;
  args: string[];
  cwd: string | undefined;
  userEnv: Record<string, string>;
}

/** Thrown (as the run's reason) when the request cannot run here. */
export class NotRunnable extends Error {}

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** As strerror() says them, so that both spawners give the same reason. */
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  ELOOP: 'Too many levels of symbolic links',
};

/** The explicit cwd, checked; else the user's home (or /) with -user; else the daemon's own. */
function workingDir(req: FireRequest, user: PasswdEntry | null): string | undefined {
  if (req.cwd !== undefined) {
    try {
      if (!statSync(req.cwd).isDirectory()) throw new NotRunnable(`cwd ${req.cwd}: Not a directory`);
    } catch (err) {
      if (err instanceof NotRunnable) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      throw new NotRunnable(`cwd ${req.cwd}: ${ERRNO_TEXT[code] ?? code}`);
    }
    return req.cwd;
  }
  if (user) return isDirectory(user.home) ? user.home : '/';
  return undefined;
}

/** How to start `req` with /bin/bash -c: as its user, where it asked; throws NotRunnable. */
export async function plannedLaunch(req: FireRequest): Promise<Launch> {
  const plain = { file: '/bin/bash', args: ['-c', req.command] };
  if (req.user === undefined) return { ...plain, cwd: workingDir(req, null), userEnv: {} };
  const user = await lookupUser(req.user);
  if (!user) throw new NotRunnable(`user ${req.user} is not known on this machine`);
  const euid = process.geteuid?.() ?? -1;
  const cwd = workingDir(req, user);
  if (user.uid === euid) return { ...plain, cwd, userEnv: userEnv(user) };
  if (euid !== 0)
    throw new NotRunnable(`the daemon runs as uid ${euid}, not root: it cannot run a command as ${req.user}`);
  if (!SETPRIV)
    throw new NotRunnable(
      `cannot run as ${req.user}: setpriv (util-linux) is not installed, and the native spawner is not built`,
    );
  // bash checks that it is no longer root before it runs the command (exit 126 if it were).
  const uid = String(user.uid);
  const check = `[[ $UID == ${uid} && $EUID == ${uid} ]] || { echo "ktimer: uid $UID, not ${uid}: command not run" >&2; exit 126; }; exec /bin/bash -c "$1"`;
  return {
    file: SETPRIV,
    args: [
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      '--init-groups',
      '--',
      '/bin/bash',
      '-c',
      check,
      'bash',
      req.command,
    ],
    cwd,
    userEnv: userEnv(user),
  };
}
