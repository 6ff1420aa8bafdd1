// ktimer info: pid, uptime, version, config in use, task count, Redis address and health, and
// the tasks running now (from the daemon's state file).
import { readPidfile } from '../../daemon/pidfile.js';
import { readState, stateFileOf } from '../../daemon/state-file.js';
import { messageOf } from '../../errors.js';
import { PUBDATE, VERSION } from '../../version.js';
import type { CliContext } from '../context.js';
import { localIso } from '../../tasks/iso-time.js';

export async function run(ctx: CliContext): Promise<void> {
  const config = ctx.config;
  const pid = readPidfile(config.pidfile);
  const state = pid.state === 'running' ? readState(stateFileOf(config.pidfile)) : null;
  const store = await ctx.openStore();
  const redis: {
    address: string;
    healthy: boolean;
    version: string | null;
    error: string | null;
    tasks: number | null;
  } = {
    address: store.address,
    healthy: false,
    version: null,
    error: null,
    tasks: null,
  };
  try {
    redis.version = (await (await ctx.store()).serverInfo()).version;
    redis.tasks = await (await ctx.service()).count();
    redis.healthy = true;
  } catch (err) {
    redis.error = messageOf(err);
  }
  const uptimeSec = state ? Math.round((Date.now() - state.started_at) / 1000) : null;
  const data = {
    running: pid.state === 'running',
    pid: pid.state === 'running' ? pid.pid : null,
    uptime_sec: uptimeSec,
    started_at: state?.started_at ?? null,
    version: VERSION,
    pubdate: PUBDATE,
    config: config.file,
    pidfile: config.pidfile,
    tasks: redis.tasks,
    redis,
    daemon_redis_healthy: state?.redis.healthy ?? null,
    /** The daemon's clock minus the Redis server's, ms (it fires on the Redis clock). */
    daemon_clock_skew_ms: state?.redis.skew_ms ?? null,
    web: config.web.enable ? (state?.web.listening ?? `${config.web.bindIp}:${config.web.port}`) : null,
    fired_total: state?.fired_total ?? null,
    failed_total: state?.failed_total ?? null,
    running_tasks: state?.running ?? null,
  };
  const lines = [
    data.running ? `ktimer is running [${data.pid}]` : 'ktimer is stopped',
    `version:   ${VERSION} [${PUBDATE}]`,
    ...(state && uptimeSec !== null
      ? [`uptime:    ${duration(uptimeSec)} (since ${localIso(state.started_at)})`]
      : []),
    `config:    ${config.file}`,
    `tasks:     ${redis.tasks === null ? 'unknown (Redis unavailable)' : redis.tasks}`,
    `redis:     ${redis.address}, ${redis.healthy ? `healthy (Redis ${redis.version})` : `UNAVAILABLE: ${redis.error}`}`,
    `web api:   ${data.web === null ? 'off' : data.web}`,
  ];
  if (state) {
    lines.push(
      `fired:     ${state.fired_total} since start, ${state.failed_total} failed`,
      `clock:     ${state.redis.skew_ms} ms off the Redis clock (tasks fire on the Redis clock)`,
      `running:   ${state.running.shell} shell, ${state.running.url} url`,
      ...state.running.tasks.map(
        (t) => `  ${t.kid} ${t.kind} since ${localIso(t.started_ms)}: ${t.command.slice(0, 60)}`,
      ),
    );
  }
  ctx.print(lines.join('\n'), data);
}

function duration(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s}s`].filter(Boolean).join(' ');
}
