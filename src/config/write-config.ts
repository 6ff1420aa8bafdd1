// `ktimer init`: writes a missing conf.ini from the shipped one, or fills in an empty
// web_passwd, always with a fresh random password and mode 0600 (it holds secrets) from the
// moment it exists: a new file is created 0600, a changed one replaced by a 0600 copy.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { KtimerError } from '../errors.js';
import { INSTALL_DIR, SHIPPED_CONFIG } from './find-config.js';
import { readConfigText } from './load-config.js';

/** A pristine copy of the shipped conf.ini, made by the build, for when conf.ini itself is gone. */
const PRISTINE_CONFIG = resolve(INSTALL_DIR, 'dist', 'conf.ini.default');

const PASSWD_LINE = /^(\s*web[._]passwd\s*=)[ \t]*$/m;
const ANY_PASSWD_LINE = /^(\s*web[._]passwd\s*=).*$/m;

export const newPassword = (): string => randomBytes(18).toString('base64url');

export type ConfigPreparation = 'created' | 'password-set' | 'unchanged';

export function prepareConfig(path: string): ConfigPreparation {
  if (!existsSync(path)) {
    // The pristine copy first: the install's conf.ini may hold that install's secrets by now.
    const template = [PRISTINE_CONFIG, SHIPPED_CONFIG].find((p) => p !== path && existsSync(p));
    if (!template)
      throw new KtimerError(
        'config',
        `cannot create ${path}: the shipped conf.ini is missing; reinstall ktimer`,
      );
    const text = readFileSync(template, 'utf8').replace(ANY_PASSWD_LINE, `$1 ${newPassword()}`);
    checkParentDir(path);
    // wx: created here, 0600 before the password is in it, never through a symlink.
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    return 'created';
  }
  const text = readConfigText(path);
  // An empty password kept on purpose (web_allow_empty_passwd = 1) is left alone.
  if (!PASSWD_LINE.test(text) || /^\s*web[._]allow_empty_passwd\s*=\s*(1|true|yes|on)\s*$/im.test(text)) {
    return 'unchanged';
  }
  // The real path: a conf.ini that is a symlink stays one.
  writeFileAtomic(realpathSync(path), text.replace(PASSWD_LINE, `$1 ${newPassword()}`), 0o600);
  return 'password-set';
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
