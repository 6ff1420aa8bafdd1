// Where an installed ktimer keeps its config, logs and pidfile, as the platform expects: for
// root /etc/ktimer, /var/log/ktimer and /run/ktimer; for a user the XDG base directories. A
// config anywhere else (a checkout's conf.ini, a --config of one's own) keeps its logs and
// pidfile beside it. Pure over a Host, so every case is tested on any machine.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** What the places depend on: who runs ktimer, its environment, and whether /run exists. */
export interface Host {
  uid: number;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  /** /run exists (a tmpfs for runtime files); else /var/lib holds the pidfile. */
  hasRunDir: boolean;
}

export function thisHost(): Host {
  return {
    uid: process.getuid?.() ?? -1,
    env: process.env,
    home: homedir(),
    hasRunDir: existsSync('/run'),
  };
}

export const SYSTEM_CONFIG_DIR = '/etc/ktimer';
export const CONFIG_NAME = 'conf.ini';

/** $XDG_CONFIG_HOME/ktimer, else ~/.config/ktimer. */
export const userConfigDir = (host: Host): string =>
  join(host.env.XDG_CONFIG_HOME || join(host.home, '.config'), 'ktimer');

/** $XDG_STATE_HOME/ktimer, else ~/.local/state/ktimer. */
export const userStateDir = (host: Host): string =>
  join(host.env.XDG_STATE_HOME || join(host.home, '.local', 'state'), 'ktimer');

/** The config an installed ktimer uses when none is named: root's in /etc, a user's in XDG. */
export function standardConfig(host: Host): { path: string; source: 'system' | 'user' } {
  return host.uid === 0
    ? { path: join(SYSTEM_CONFIG_DIR, CONFIG_NAME), source: 'system' }
    : { path: join(userConfigDir(host), CONFIG_NAME), source: 'user' };
}

/** The defaults of pidfile and log.dir for a conf.ini at `configFile` (relative: beside it). */
export interface StatePlaces {
  pidfile: string;
  logDir: string;
}

export function statePlaces(configFile: string, host: Host): StatePlaces {
  const dir = dirname(resolve(configFile));
  if (dir === SYSTEM_CONFIG_DIR) {
    const runtime = host.hasRunDir ? '/run/ktimer' : '/var/lib/ktimer';
    return { pidfile: join(runtime, 'ktimer.pid'), logDir: '/var/log/ktimer' };
  }
  if (dir === resolve(userConfigDir(host))) {
    const state = userStateDir(host);
    return { pidfile: join(state, 'run', 'ktimer.pid'), logDir: join(state, 'log') };
  }
  return { pidfile: join('runtime', 'ktimer.pid'), logDir: 'log' };
}
