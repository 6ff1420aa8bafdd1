// ktimer init: creates a missing conf.ini (random web password, mode 0600), then checks the
// config, Redis, the log dir, the runtime dir and the pidfile; one line per check.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { prepareConfig } from '../../config/write-config.js';
import { readPidfile } from '../../daemon/pidfile.js';
import { KtimerError, messageOf } from '../../errors.js';
import type { CliContext } from '../context.js';

interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

// eslint-disable-next-line max-lines-per-function -- to split (issue 22)
export async function run(ctx: CliContext): Promise<void> {
  const checks: Check[] = [];
  const attempt = async (check: string, fn: () => string | Promise<string>): Promise<boolean> => {
    try {
      checks.push({ check, ok: true, detail: await fn() });
      return true;
    } catch (err) {
      checks.push({ check, ok: false, detail: messageOf(err) });
      return false;
    }
  };

  const path = ctx.configPath;
  const fileOk = await attempt('config file', () => {
    const done = prepareConfig(path);
    const notes = done.created
      ? ['created, mode 0600, web_passwd generated']
      : done.passwordSet
        ? ['web_passwd was empty: generated, mode set to 0600']
        : [];
    if (done.timezone !== null)
      notes.push(
        `timezone ${done.created ? '=' : 'was empty: set to'} ${done.timezone} (this machine's zone)`,
      );
    return notes.length === 0 ? path : `${path} (${notes.join('; ')})`;
  });
  const configOk =
    fileOk &&
    (await attempt('config values', () => {
      const c = ctx.config;
      return `${c.task.maxNum} tasks at most, web API ${c.web.enable ? `on ${c.web.bindIp}:${c.web.port}` : 'off'}`;
    }));
  if (configOk) {
    const c = ctx.config;
    await attempt('redis', async () => {
      const store = await ctx.store();
      const { version } = await store.serverInfo();
      return `${store.address} answers (Redis ${version ?? 'unknown'})`;
    });
    await attempt('log dir', () =>
      c.log.stdout
        ? '- (the daemon logs to stdout: run it in the foreground, as systemd does)'
        : writableDir(c.log.dir),
    );
    await attempt('runtime dir', () => writableDir(dirname(c.pidfile)));
    await attempt('pidfile', () => {
      const pid = readPidfile(c.pidfile);
      if (pid.state === 'running') return `${c.pidfile} (daemon running [${pid.pid}])`;
      if (pid.state === 'stale') return `${c.pidfile} is stale: ${pid.detail}; \`ktimer start\` replaces it`;
      return `${c.pidfile} (no daemon running)`;
    });
  }

  const ok = checks.every((c) => c.ok);
  const width = Math.max(...checks.map((c) => c.check.length)) + 1;
  const human = checks
    .map((c) => `${`${c.check}:`.padEnd(width)} ${c.ok ? 'ok' : 'FAILED'}  ${c.detail}`)
    .join('\n');
  // A failure's --json document is main's, with the checks in it: one document either way.
  if (ok || !ctx.json) ctx.print(human, { ok, checks });
  if (!ok) {
    throw new KtimerError(
      'config',
      `init found ${checks.filter((c) => !c.ok).length} problem(s); fix them and run \`ktimer init\` again`,
      { details: { checks } },
    );
  }
}

/** Checks (and creates) a directory, saying when it made it: a mistyped path shows here. */
function writableDir(dir: string): string {
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new Error(
      `${dir} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? messageOf(err)})`,
    );
  }
  return created === undefined ? `${dir} is writable` : `${dir} created, writable`;
}
