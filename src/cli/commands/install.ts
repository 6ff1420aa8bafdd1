// ktimer install / remove: write or remove the systemd unit (install --print shows it, writes
// nothing; remove has no --print: there is nothing to show).
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemdUnit, UNIT_NAME } from '../../daemon/systemd-unit.js';
import { KtimerError, messageOf } from '../../errors.js';
import { BIN } from '../../config/find-config.js';
import type { CliContext } from '../context.js';

const SYSTEM_DIR = '/etc/systemd/system';

interface UnitOptions {
  /** install only. */
  print?: boolean;
  unitDir?: string;
}

const systemdRunning = (): boolean => existsSync('/run/systemd/system');

/** Where the unit goes; with the default dir, systemd must be running here. */
function unitDir(opts: UnitOptions): string {
  if (opts.unitDir) return opts.unitDir;
  if (!systemdRunning()) {
    throw new KtimerError(
      'daemon',
      'systemd is not running on this machine; run `ktimer start -d` instead, or `ktimer install --print` to see the unit',
    );
  }
  return SYSTEM_DIR;
}

function systemctl(args: string[]): void {
  try {
    execFileSync('systemctl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new KtimerError('daemon', `systemctl ${args.join(' ')} failed: ${messageOf(err).split('\n')[0]}`);
  }
}

export async function install(ctx: CliContext, _w: string[], opts: UnitOptions): Promise<void> {
  const unit = systemdUnit(ctx.config, process.execPath, BIN);
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
  if (opts.unitDir) {
    // Only written, as asked: say what is left to do.
    const next = ['systemctl daemon-reload', `systemctl enable --now ${UNIT_NAME}`];
    ctx.print(`installed ${path}; not enabled: run \`${next.join(' && ')}\``, { installed: path, next });
    return;
  }
  systemctl(['daemon-reload']);
  systemctl(['enable', UNIT_NAME]);
  ctx.print(`installed ${path}; start it with: systemctl start ktimer`, { installed: path });
}

function whyNotWritable(err: unknown, dir: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `directory ${dir} does not exist; create it or pass another --unit-dir`;
  if (code === 'ENOTDIR') return `${dir} is not a directory; pass a directory as --unit-dir`;
  if (code === 'EACCES' || code === 'EPERM')
    return `permission denied (${code}); run as root or pass --unit-dir`;
  return `${code ?? messageOf(err)}`;
}

export async function remove(ctx: CliContext, _w: string[], opts: UnitOptions): Promise<void> {
  const dir = unitDir(opts);
  const path = join(dir, UNIT_NAME);
  if (!existsSync(path)) {
    ctx.print(`no unit at ${path}; nothing to remove`, { removed: null });
    return;
  }
  if (!opts.unitDir) systemctl(['disable', '--now', UNIT_NAME]);
  rmSync(path);
  if (!opts.unitDir) systemctl(['daemon-reload']);
  ctx.print(`removed ${path}`, { removed: path });
}

export const run = install;
