// `ktimer init`: writes a missing conf.ini from the defaults (config-template.ts), or fills in an
// empty web_passwd, always with a fresh random password and mode 0600 (it holds secrets) from the
// moment it exists: a new file is created 0600, a changed one replaced by a 0600 copy. An empty
// [task] timezone gets this machine's zone, the zone its operator most likely means.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { KtimerError } from '../errors.js';
import { machineTimeZone } from '../time-zone.js';
import { configTemplate } from './config-template.js';
import { readConfigText } from './load-config.js';
import { statePlaces, thisHost } from './places.js';

const PASSWD_LINE = /^(\s*web[._]passwd\s*=)[ \t]*$/m;
const TIMEZONE_LINE = /^(\s*timezone\s*=)[ \t]*$/m;

export const newPassword = (): string => randomBytes(18).toString('base64url');

export interface ConfigPreparation {
  created: boolean;
  /** A fresh web_passwd was written (into a new file, or an empty line). */
  passwordSet: boolean;
  /** The zone written into an empty `timezone =` line, else null. */
  timezone: string | null;
}

/**
 * `standardPlace`: the file is at a place ktimer chose (/etc/ktimer, ~/.config/ktimer), whose
 * directory is made when missing; a path the operator typed must have its directory already.
 */
export function prepareConfig(path: string, standardPlace = false): ConfigPreparation {
  if (!existsSync(path)) {
    const timezone = machineTimeZone();
    const text = configTemplate(statePlaces(path, thisHost()), { web_passwd: newPassword(), timezone });
    // The file itself is 0600; a --run-as user of /etc/ktimer is given it by the operator.
    if (standardPlace) mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    else checkParentDir(path);
    // wx: created here, 0600 before the password is in it, never through a symlink.
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    return { created: true, passwordSet: true, timezone };
  }
  const text = readConfigText(path);
  // An empty password kept on purpose (web_allow_empty_passwd = 1) is left alone.
  const passwordSet =
    PASSWD_LINE.test(text) && !/^\s*web[._]allow_empty_passwd\s*=\s*(1|true|yes|on)\s*$/im.test(text);
  const timezone = TIMEZONE_LINE.test(text) ? machineTimeZone() : null;
  if (!passwordSet && timezone === null) return { created: false, passwordSet, timezone };
  let filled = passwordSet ? text.replace(PASSWD_LINE, `$1 ${newPassword()}`) : text;
  if (timezone !== null) filled = filled.replace(TIMEZONE_LINE, `$1 ${timezone}`);
  // The real path: a conf.ini that is a symlink stays one. Only a password makes it 0600.
  const real = realpathSync(path);
  writeFileAtomic(real, filled, passwordSet ? 0o600 : statSync(real).mode & 0o777);
  return { created: false, passwordSet, timezone };
}

/** A mistyped --config must not leave a new directory tree behind: the directory must exist. */
function checkParentDir(path: string): void {
  const dir = dirname(path);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new KtimerError(
      'config',
      `cannot create ${path}: directory ${dir} does not exist; check the path, or create it first (mkdir -p ${dir})`,
    );
  }
  if (!isDir) throw new KtimerError('config', `cannot create ${path}: ${dir} is not a directory`);
}
