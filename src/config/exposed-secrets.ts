// A conf.ini holding a password (web_passwd, metrics_token, redis.passwd) must not be readable by others:
// `ktimer init` writes it 0600, but a copy or an editor may have widened it.
import { statSync } from 'node:fs';
import type { Config } from './config.js';

/** The warning to give when the file holds a password and its group or others may read it. */
export function exposedSecretsWarning(config: Config): string | null {
  if (
    config.web.passwd === '' &&
    config.web.viewerPasswd === '' &&
    config.redis.passwd === '' &&
    config.web.metricsToken === ''
  )
    return null;
  let mode: number;
  try {
    mode = statSync(config.file).mode & 0o777;
  } catch {
    return null;
  }
  if ((mode & 0o044) === 0) return null;
  const octal = mode.toString(8).padStart(4, '0');
  return `${config.file} holds a password and is readable by ${mode & 0o004 ? 'everyone' : 'its group'} (mode ${octal}); run \`chmod 600 ${config.file}\``;
}
