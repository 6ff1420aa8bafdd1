// Which conf.ini to use, and why: --config, then $KTIMER_CONFIG; then, for an installed ktimer
// (npm install -g), /etc/ktimer/conf.ini for root or $XDG_CONFIG_HOME/ktimer/conf.ini for a user
// (places.ts); run from a checkout, the checkout's own conf.ini (git ignores it).
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_NAME, type Host, standardConfig, thisHost } from './places.js';

/** The package root (this file sits two levels below it, in src/config or dist/bundle). */
export const INSTALL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The ktimer executable, for the detached daemon and the systemd unit. */
export const BIN = resolve(INSTALL_DIR, 'bin', 'ktimer');

export type ConfigSource = 'option' | 'env' | 'checkout' | 'system' | 'user';

export interface FoundConfig {
  /** Absolute path of the conf.ini. */
  path: string;
  source: ConfigSource;
  /** Why this one, in words (`info` and `init` say it). */
  why: string;
}

/** A package npm installed sits in a node_modules directory; anything else is a checkout. */
export const isInstalledPackage = (installDir: string): boolean =>
  installDir.split(sep).includes('node_modules');

export function findConfig(
  option: string | undefined,
  host: Host = thisHost(),
  installDir: string = INSTALL_DIR,
): FoundConfig {
  if (option !== undefined && option !== '')
    return { path: resolve(option), source: 'option', why: 'given with --config' };
  const env = host.env.KTIMER_CONFIG;
  if (env !== undefined && env !== '')
    return { path: resolve(env), source: 'env', why: 'given by $KTIMER_CONFIG' };
  if (!isInstalledPackage(installDir)) {
    return {
      path: resolve(installDir, CONFIG_NAME),
      source: 'checkout',
      why: `the checkout's own: ktimer runs from ${installDir}, not from an installed package`,
    };
  }
  const { path, source } = standardConfig(host);
  return {
    path,
    source,
    why:
      source === 'system'
        ? 'the system config of an installed ktimer run by root'
        : 'the user config of an installed ktimer not run by root ($XDG_CONFIG_HOME/ktimer, else ~/.config/ktimer)',
  };
}
