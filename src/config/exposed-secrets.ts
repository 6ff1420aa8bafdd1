// A conf.ini holding a password (web_passwd, metrics_token, redis.passwd, an alert URL's) must not be readable by others:
// `ktimer init` writes it 0600, but a copy or an editor may have widened it.
import { statSync } from 'node:fs';
import type { Config } from './config.js';

/** The warning to give when the file holds a password and its group or others may read it. */
export function exposedSecretsWarning(config: Config): string | null {
  const { web, redis, notify } = config;
  const secrets = [web.passwd, web.viewerPasswd, redis.passwd, web.metricsToken];
  // An alert URL's user:password@ is a password too (the notifier sends it as Basic auth).
  const urls = [notify.onFailure, notify.onRecovery];
  if (secrets.every((s) => s === '') && !urls.some(hasCredentials)) return null;
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

function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}
