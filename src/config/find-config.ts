// Which conf.ini to use: --config, then $KTIMER_CONFIG, then conf.ini in the install directory.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (this file sits two levels below it, in src/config or dist/bundle). */
export const INSTALL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SHIPPED_CONFIG = resolve(INSTALL_DIR, 'conf.ini');

/** The ktimer executable, for the detached daemon and the systemd unit. */
export const BIN = resolve(INSTALL_DIR, 'bin', 'ktimer');

export type ConfigSource = 'option' | 'env' | 'install';

export function findConfig(option: string | undefined): { path: string; source: ConfigSource } {
  if (option !== undefined && option !== '') return { path: resolve(option), source: 'option' };
  const env = process.env.KTIMER_CONFIG;
  if (env !== undefined && env !== '') return { path: resolve(env), source: 'env' };
  return { path: SHIPPED_CONFIG, source: 'install' };
}
