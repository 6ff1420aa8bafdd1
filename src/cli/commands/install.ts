// ktimer install / remove: write or remove the systemd unit (install --print shows it, writes
// nothing; remove has no --print: there is nothing to show). --user: a user unit in
// ~/.config/systemd/user, driven by `systemctl --user`; --run-as: a system unit's User= and Group=.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { systemdUnit, UNIT_NAME, type UnitOptions as UnitShape } from '../../daemon/systemd-unit.js';
import { KtimerError, messageOf, usageError } from '../../errors.js';
import { BIN } from '../../config/find-config.js';
import type { CliContext } from '../context.js';

const SYSTEM_DIR = '/etc/systemd/system';

interface UnitOptions {
  /** install only. */
  print?: boolean;
  unitDir?: string;
  /** A user unit (systemctl --user). */
  user?: boolean;
  /** install only: USER or USER:GROUP the system unit runs the daemon as. */
  runAs?: string;
}

const systemdRunning = (): boolean => existsSync('/run/systemd/system');

/** Where a user's units go: $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user. */
const userUnitDir = (): string =>
  join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'systemd', 'user');

/** Where the unit goes; with the default dir, systemd must be running here. */
function unitDir(opts: Pick<UnitOptions, 'unitDir' | 'user'>): string {
  if (opts.unitDir) return opts.unitDir;
  if (!systemdRunning()) {
    throw new KtimerError(
      'daemon',
      'systemd is not running on this machine; run `ktimer start -d` instead, or `ktimer install --print` to see the unit',
    );
  }
  if (!opts.user) return SYSTEM_DIR;
  const dir = userUnitDir();
  mkdirSync(dir, { recursive: true });
  return dir;
}

function systemctl(user: boolean | undefined, args: string[]): void {
  const argv = user ? ['--user', ...args] : args;
  try {
    execFileSync('systemctl', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new KtimerError('daemon', `systemctl ${argv.join(' ')} failed: ${messageOf(err).split('\n')[0]}`);
  }
}

/** `--run-as USER[:GROUP]`: the user must exist here; the group defaults to the user's own. */
export function runAsOf(spec: string): { user: string; group: string } {
  const [user = '', group, ...rest] = spec.split(':');
  const name = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
  if (!name.test(user) || (group !== undefined && !name.test(group)) || rest.length > 0)
    throw usageError(
      `--run-as "${spec}" is invalid; expected a user name, or USER:GROUP (such as ktimer:ktimer)`,
    );
  let primary: string;
  try {
    primary = execFileSync('id', ['-gn', user], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    throw usageError(
      `--run-as: there is no user "${user}" on this machine; create it first (useradd --system ${user})`,
    );
  }
  return { user, group: group ?? primary };
}

function shapeOf(opts: UnitOptions): UnitShape {
  if (opts.user && opts.runAs)
    throw usageError('--run-as is for a system unit; a --user unit runs as the user who installs it');
  return { user: opts.user === true, runAs: opts.runAs === undefined ? undefined : runAsOf(opts.runAs) };
}

export async function install(ctx: CliContext, _w: string[], opts: UnitOptions): Promise<void> {
  const shape = shapeOf(opts);
  const unit = systemdUnit(ctx.config, process.execPath, BIN, shape);
  if (opts.print) {
    ctx.print(unit.trimEnd(), { unit });
    return;
  }
  const dir = unitDir(opts);
  const path = join(dir, UNIT_NAME);
  try {
    writeFileSync(path, unit, { mode: 0o644 });
  } catch (err) {
    throw new KtimerError('daemon', `cannot write ${path}: ${whyNotWritable(err, dir)}`);
  }
  const systemctlCmd = opts.user ? 'systemctl --user' : 'systemctl';
  const runAs = shape.runAs ? runAsNote(ctx, shape.runAs) : '';
  // A user's manager stops with the user's last session unless lingering is on.
  const linger = opts.user ? '; to run it while you are logged out: loginctl enable-linger' : '';
  if (opts.unitDir) {
    // Only written, as asked: say what is left to do.
    const next = [`${systemctlCmd} daemon-reload`, `${systemctlCmd} enable --now ${UNIT_NAME}`];
    ctx.print(`installed ${path}; not enabled: run \`${next.join(' && ')}\`${runAs}${linger}`, {
      installed: path,
      next,
    });
    return;
  }
  systemctl(opts.user, ['daemon-reload']);
  systemctl(opts.user, ['enable', UNIT_NAME]);
  ctx.print(`installed ${path}; start it with: ${systemctlCmd} start ktimer${runAs}${linger}`, {
    installed: path,
  });
}

/** What the user it runs as needs: read conf.ini, write the log and runtime dirs. */
function runAsNote(ctx: CliContext, runAs: { user: string; group: string }): string {
  const { config } = ctx;
  const dirs = [...(config.log.stdout ? [] : [config.log.dir]), dirname(config.pidfile)];
  return ` (it runs as ${runAs.user}:${runAs.group}, who must read ${config.file} and write ${dirs.join(' and ')})`;
}

function whyNotWritable(err: unknown, dir: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `directory ${dir} does not exist; create it or pass another --unit-dir`;
  if (code === 'ENOTDIR') return `${dir} is not a directory; pass a directory as --unit-dir`;
  if (code === 'EACCES' || code === 'EPERM')
    return `permission denied (${code}); run as root or pass --unit-dir`;
  return code ?? messageOf(err);
}

export async function remove(
  ctx: CliContext,
  _w: string[],
  opts: Pick<UnitOptions, 'unitDir' | 'user'>,
): Promise<void> {
  const dir = unitDir(opts);
  const path = join(dir, UNIT_NAME);
  if (!existsSync(path)) {
    ctx.print(`no unit at ${path}; nothing to remove`, { removed: null });
    return;
  }
  if (!opts.unitDir) systemctl(opts.user, ['disable', '--now', UNIT_NAME]);
  rmSync(path);
  if (!opts.unitDir) systemctl(opts.user, ['daemon-reload']);
  ctx.print(`removed ${path}`, { removed: path });
}

export const run = install;
