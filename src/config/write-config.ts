// `ktimer init`: writes a missing conf.ini from the shipped one, or fills in an empty
// web_passwd, always with a fresh random password and mode 0600 (it holds secrets) from the
// moment it exists: a new file is created 0600, a changed one replaced by a 0600 copy. An empty
// [task] timezone gets this machine's zone, the zone its operator most likely means.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { KtimerError } from '../errors.js';
import { machineTimeZone } from '../time-zone.js';
import { INSTALL_DIR, SHIPPED_CONFIG } from './find-config.js';
import { readConfigText } from './load-config.js';

/** A pristine copy of the shipped conf.ini, made by the build, for when conf.ini itself is gone. */
const PRISTINE_CONFIG = resolve(INSTALL_DIR, 'dist', 'conf.ini.default');

const PASSWD_LINE = /^(\s*web[._]passwd\s*=)[ \t]*$/m;
const ANY_PASSWD_LINE = /^(\s*web[._]passwd\s*=).*$/m;
const TIMEZONE_LINE = /^(\s*timezone\s*=)[ \t]*$/m;

export const newPassword = (): string => randomBytes(18).toString('base64url');

export interface ConfigPreparation {
  created: boolean;
  /** A fresh web_passwd was written (into a new file, or an empty line). */
  passwordSet: boolean;
  /** The zone written into an empty `timezone =` line, else null. */
  timezone: string | null;
}

export function prepareConfig(path: string): ConfigPreparation {
  if (!existsSync(path)) {
    // The pristine copy first: the install's conf.ini may hold that install's secrets by now.
    const template = [PRISTINE_CONFIG, SHIPPED_CONFIG].find((p) => p !== path && existsSync(p));
    if (!template)
      throw new KtimerError(
        'config',
        `cannot create ${path}: the shipped conf.ini is missing; reinstall ktimer`,
      );
    const shipped = readFileSync(template, 'utf8');
    const timezone = TIMEZONE_LINE.test(shipped) ? machineTimeZone() : null;
    const text = shipped
      .replace(ANY_PASSWD_LINE, `$1 ${newPassword()}`)
      .replace(TIMEZONE_LINE, `$1 ${timezone ?? ''}`);
    checkParentDir(path);
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
