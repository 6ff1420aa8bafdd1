// `-user=NAME` names a user of this machine (issue 24): one unknown here is a usage error when the
// task is added or changed (exit 2), though the daemon that runs it checks again on its own machine.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { usageError } from '../errors.js';

/** Throws a usage error when a user of `users` is unknown on this machine. */
export async function checkUsersKnown(users: Iterable<string | undefined>): Promise<void> {
  for (const user of new Set(users)) {
    if (user !== undefined && !(await userKnown(user)))
      throw usageError(
        `user "${user}" is unknown on this machine (${hostname()}); create it, or give a user that exists`,
      );
  }
}

/** getent asks NSS (LDAP, sssd too); without getent, /etc/passwd is read. */
function userKnown(user: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('getent', ['passwd', user], { timeout: 5000 }, (err) => {
      if (!err) resolve(true);
      else if ((err as NodeJS.ErrnoException).code === 'ENOENT') void inPasswdFile(user).then(resolve);
      else resolve(false);
    });
  });
}

async function inPasswdFile(user: string): Promise<boolean> {
  const text = await readFile('/etc/passwd', 'utf8').catch(() => '');
  return text.split('\n').some((line) => line.split(':')[0] === user);
}
