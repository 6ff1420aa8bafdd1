// ktimer info: pid, uptime, version, config in use, task count, Redis address and health, and
// the tasks running now (from the daemon's state file). Exit 1 when the daemon is stopped or
// Redis cannot be reached (by this command or by the daemon), after printing what it knows.
import { readPidfile } from '../../daemon/pidfile.js';
import { daemonRedisProblem, type DaemonState, readState, stateFileOf } from '../../daemon/state-file.js';
import { messageOf } from '../../errors.js';
import { maskUrlUserinfo } from '../../log/mask-userinfo.js';
import { oneLine } from '../../text.js';
import { PUBDATE, VERSION } from '../../version.js';
import type { CliContext } from '../context.js';
import { localIso } from '../../tasks/iso-time.js';

interface RedisSeen {
  address: string;
  healthy: boolean;
  version: string | null;
  error: string | null;
  tasks: number | null;
}

/** Redis as this command sees it: reached, its version and the task count, or why not. */
async function redisSeen(ctx: CliContext): Promise<RedisSeen> {
  const redis: RedisSeen = {
    address: (await ctx.openStore()).address,
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
  return redis;
}

export async function run(ctx: CliContext): Promise<void> {
  const config = ctx.config;
  const pid = readPidfile(config.pidfile);
  const running = pid.state === 'running';
  const state = running ? readState(stateFileOf(config.pidfile)) : null;
  const redis = await redisSeen(ctx);
  const uptimeSec = state ? Math.round((Date.now() - state.started_at) / 1000) : null;
  const configuredWeb = config.web.enable ? `${config.web.bindIp}:${config.web.port}` : null;
  /** The daemon's own word on Redis, when it cannot reach it. */
  const daemonRedisError = daemonRedisProblem(state);
  const data = {
    running,
    pid: running ? pid.pid : null,
    uptime_sec: uptimeSec,
    started_at: state?.started_at ?? null,
    version: VERSION,
    pubdate: PUBDATE,
    /** Which conf.ini, and why that one (find-config.ts). */
    config: ctx.configFound,
    pidfile: config.pidfile,
    tasks: redis.tasks,
    redis,
    daemon_redis_healthy: state?.redis.healthy ?? null,
    daemon_redis_error: daemonRedisError,
    /** The daemon's clock minus the Redis server's, ms (it fires on the Redis clock). */
    daemon_clock_skew_ms: state?.redis.skew_ms ?? null,
    /** Where the web API listens now (null: not listening), and where conf.ini says it would. */
    web: state?.web.listening ?? null,
    web_configured: configuredWeb,
    fired_total: state?.fired_total ?? null,
    failed_total: state?.failed_total ?? null,
    running_tasks: state?.running ?? null,
  };
  const redisLine = redis.healthy
    ? `healthy (Redis ${redis.version})${daemonRedisError ? `; the daemon cannot reach it: ${daemonRedisError}` : ''}`
    : `UNAVAILABLE: ${redis.error}`;
  const lines = [
    running ? `ktimer is running [${data.pid}]` : 'ktimer is stopped',
    `version:   ${VERSION} [${PUBDATE}]`,
    ...(state && uptimeSec !== null
      ? [`uptime:    ${duration(uptimeSec)} (since ${localIso(state.started_at)})`]
      : []),
    `config:    ${config.file} (${ctx.configFound.why})`,
    `tasks:     ${redis.tasks === null ? 'unknown (Redis unavailable)' : redis.tasks}`,
    `redis:     ${redis.address}, ${redisLine}`,
    `web api:   ${webLine(running, state, configuredWeb)}`,
  ];
  if (state) lines.push(...stateLines(state));
  ctx.print(lines.join('\n'), data);
  const problems = [
    ...(running ? [] : ['the daemon is not running; start it with `ktimer start -d`']),
    ...(redis.error ? [redis.error] : []),
    ...(daemonRedisError && redis.healthy ? [`the daemon cannot reach Redis: ${daemonRedisError}`] : []),
  ];
  if (problems.length > 0) {
    process.stderr.write(`ktimer: error: ${problems.join('; ')}\n`);
    ctx.exitCode = 1;
  }
}

function webLine(running: boolean, state: DaemonState | null, configured: string | null): string {
  if (configured === null) return 'off (web_enable = 0)';
  if (!running) return `not running (the daemon is stopped; it would listen on ${configured})`;
  if (!state) return `unknown (no state file from the daemon; configured ${configured})`;
  // The web API's thread is starting, or being restarted after it died (error.log says why).
  return (
    state.web.listening ??
    `not listening now (its thread is starting or restarting; configured ${configured})`
  );
}

/** What the running daemon does: fires, its clock, the tasks running now. */
function stateLines(state: DaemonState): string[] {
  return [
    `fired:     ${state.fired_total} since start, ${state.failed_total} failed`,
    `clock:     ${state.redis.skew_ms} ms off the Redis clock (tasks fire on the Redis clock)`,
    `running:   ${state.running.shell} shell, ${state.running.url} url`,
    // Commands as the logs show them: one line, credentials in URLs masked.
    ...state.running.tasks.map(
      (t) =>
        `  ${t.kid} ${t.kind} since ${localIso(t.started_ms)}: ${oneLine(maskUrlUserinfo(t.command), 60)}`,
    ),
  ];
}

function duration(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s}s`].filter(Boolean).join(' ');
}
