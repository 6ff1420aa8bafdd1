// ktimer init: creates a missing conf.ini (random web password, mode 0600) where find-config.ts
// looks for it, then checks the config, Redis (and whether it may evict keys: a WARNING, not a
// failure), the log dir, the runtime dir, the pidfile and the web API's port; one line per check,
// the config's first saying which file and why.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import type { Config } from '../../config/config.js';
import type { FoundConfig } from '../../config/find-config.js';
import { prepareConfig } from '../../config/write-config.js';
import { readPidfile } from '../../daemon/pidfile.js';
import { KtimerError, messageOf } from '../../errors.js';
import { type Durability, evictionWarning, noAofWarning } from '../../store/open-store.js';
import type { CliContext } from '../context.js';

interface Check {
  check: string;
  ok: boolean;
  detail: string;
  /** It works, but not as it should for production: said as WARNING, init still succeeds. */
  warning?: true;
}

/** A check's outcome that is no failure but a warning. */
interface Warning {
  warning: string;
}

/** The checks made so far; each one's failure is its detail, and the next ones still run. */
class Checks {
  readonly list: Check[] = [];

  async attempt(check: string, fn: () => string | Warning | Promise<string | Warning>): Promise<boolean> {
    try {
      const outcome = await fn();
      this.list.push(
        typeof outcome === 'string'
          ? { check, ok: true, detail: outcome }
          : { check, ok: true, detail: outcome.warning, warning: true },
      );
      return true;
    } catch (err) {
      this.list.push({ check, ok: false, detail: messageOf(err) });
      return false;
    }
  }
}

export async function run(ctx: CliContext): Promise<void> {
  const checks = new Checks();
  const fileOk = await checks.attempt('config file', () => configFile(ctx.configFound));
  const configOk =
    fileOk &&
    (await checks.attempt('config values', () => {
      const c = ctx.config;
      return `${c.task.maxNum} tasks at most, web API ${c.web.enable ? `on ${c.web.bindIp}:${c.web.port}` : 'off'}`;
    }));
  if (configOk) await checkPlaces(ctx, checks);
  report(ctx, checks.list);
}

/** Creates the file when missing (filling in what is empty); says which file, why, and what it did. */
function configFile(found: FoundConfig): string {
  const standardPlace = found.source === 'system' || found.source === 'user';
  const done = prepareConfig(found.path, standardPlace);
  const notes = done.created
    ? ['created, mode 0600, web_passwd generated']
    : done.passwordSet
      ? ['web_passwd was empty: generated, mode set to 0600']
      : [];
  if (done.timezone !== null)
    notes.push(`timezone ${done.created ? '=' : 'was empty: set to'} ${done.timezone} (this machine's zone)`);
  return `${found.path}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}; ${found.why}`;
}

/** Redis, the directories, the pidfile and the web port of a config that loads. */
async function checkPlaces(ctx: CliContext, checks: Checks): Promise<void> {
  const c = ctx.config;
  const redisOk = await checks.attempt('redis', async () => {
    const store = await ctx.connectedStore();
    const { version } = await store.serverInfo();
    // Said, not assumed: whatever answers at this address is the store from now on.
    return `${store.address} answers (Redis ${version ?? 'unknown'})`;
  });
  if (redisOk) await checkDurability(ctx, checks);
  if (redisOk)
    await checks.attempt('fleet', async () => {
      const store = await ctx.store();
      const how = ctx.fleetCheck?.written === true ? 'recorded in Redis now' : 'as Redis holds it';
      const tasks = await store.tasks.count();
      return `${c.redis.fleet} (${how}); ${tasks} task${tasks === 1 ? '' : 's'} under ${c.keys.pool}`;
    });
  await checks.attempt('log dir', () =>
    c.log.stdout
      ? '- (the daemon logs to stdout: run it in the foreground, as systemd does)'
      : writableDir(c.log.dir),
  );
  await checks.attempt('runtime dir', () => writableDir(dirname(c.pidfile)));
  const pid = readPidfile(c.pidfile);
  await checks.attempt('pidfile', () => {
    if (pid.state === 'running') return `${c.pidfile} (daemon running [${pid.pid}])`;
    if (pid.state === 'stale') return `${c.pidfile} is stale: ${pid.detail}; \`ktimer start\` replaces it`;
    return `${c.pidfile} (no daemon running)`;
  });
  await checks.attempt('web port', () => webPort(c, pid.state === 'running'));
}

/** Whether Redis keeps what ktimer writes: warnings, not failures (it works, but may lose a run). */
async function checkDurability(ctx: CliContext, checks: Checks): Promise<void> {
  let durability: Durability | undefined;
  const ask = async () => (durability ??= await (await ctx.connectedStore()).durability());
  await checks.attempt('redis memory', async () => {
    const { evicting } = await ask();
    if (evicting.length > 0) return { warning: evictionWarning(evicting) };
    return 'keys are never evicted (no maxmemory, or maxmemory-policy noeviction)';
  });
  await checks.attempt('redis disk', async () => {
    const { withoutAof } = await ask();
    if (withoutAof.length > 0) return { warning: noAofWarning(withoutAof) };
    return 'AOF on: a restart of Redis keeps every write (appendonly yes)';
  });
}

/** Whether the daemon could listen where conf.ini says, before `start -d` finds out. */
async function webPort(c: Config, daemonRuns: boolean): Promise<string> {
  const { enable, bindIp, port } = c.web;
  const at = `${bindIp.includes(':') ? `[${bindIp}]` : bindIp}:${port}`;
  if (!enable) return 'off (web_enable = 0)';
  if (daemonRuns) return `${at} (the daemon runs: \`ktimer info\` says whether it listens)`;
  const code = await new Promise<string | null>((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? messageOf(err)));
    server.listen({ host: bindIp, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
  if (code === null) return `${at} is free`;
  if (code === 'EADDRINUSE')
    throw new Error(
      `${at} is taken by another program; set web_port in ${c.file} to a free port, or stop that program`,
    );
  if (code === 'EADDRNOTAVAIL')
    throw new Error(`${bindIp} is no address of this machine; fix web_bind_ip in ${c.file}`);
  throw new Error(`cannot listen on ${at} (${code}); fix web_port or web_bind_ip in ${c.file}`);
}

function report(ctx: CliContext, checks: readonly Check[]): void {
  const ok = checks.every((c) => c.ok);
  const width = Math.max(...checks.map((c) => c.check.length)) + 1;
  const human = checks
    .map(
      (c) =>
        `${`${c.check}:`.padEnd(width)} ${c.ok ? (c.warning ? 'WARNING' : 'ok') : 'FAILED'}  ${c.detail}`,
    )
    .join('\n');
  // A failure's --json document is main's, with the checks in it: one document either way.
  if (ok || !ctx.json) ctx.print(human, { ok, checks, config: ctx.configFound });
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
