// ktimer check: is the daemon healthy? For scripts, monitoring and systemd: exit 0 with
// `ktimer is healthy [PID]: ...`, or exit 1 with `ktimer is unhealthy: REASON`, one line. It needs
// no web API: the pidfile, the daemon's state file (its loop's last claim) and a PING of Redis
// from here. The rule is /healthz's (daemon/health.ts), as of the state file's last write. A
// healthy daemon's fleet may still hold tasks that no live daemon may run (their labels): said
// on the lines after, and in --json's `waiting` (docs/fleet.md).
import type { Unplaced } from '../../service/fleet-service.js';
import { loopProblem } from '../../daemon/health.js';
import { readPidfile } from '../../daemon/pidfile.js';
import { type DaemonState, readState, STATE_REFRESH_MS, stateFileOf } from '../../daemon/state-file.js';
import { messageOf } from '../../errors.js';
import type { CliContext } from '../context.js';

/** A state file older than this (the daemon rewrites it every 5 s) says its main thread is stuck. */
const STATE_STALE_MS = 3 * STATE_REFRESH_MS;

interface CheckReport {
  healthy: boolean;
  reason: string | null;
  pid: number | null;
  /** Since the loop's last claim when the state file was written, ms. */
  claim_age_ms: number | null;
  /** How old the state file is, ms. */
  state_age_ms: number | null;
  /** `ok`, or why Redis does not answer this command. */
  redis: string | null;
  /** Label sets whose tasks or runs wait: no live daemon holds all of their labels. */
  waiting: Unplaced[];
}

export async function run(ctx: CliContext): Promise<void> {
  const report = await check(ctx);
  const human = report.healthy
    ? `ktimer is healthy [${report.pid}]: the loop claimed ${((report.claim_age_ms ?? 0) / 1000).toFixed(1)} s ago, Redis answers`
    : `ktimer is unhealthy: ${report.reason}`;
  ctx.print([human, ...report.waiting.map(waitingInWords)].join('\n'), report);
  if (!report.healthy) ctx.exitCode = 1;
}

async function check(ctx: CliContext): Promise<CheckReport> {
  const config = ctx.config;
  const report: CheckReport = {
    healthy: false,
    reason: null,
    pid: null,
    claim_age_ms: null,
    state_age_ms: null,
    redis: null,
    waiting: [],
  };
  const pid = readPidfile(config.pidfile);
  if (pid.state !== 'running') {
    report.reason = `the daemon is not running (pidfile ${config.pidfile}); start it with \`ktimer start -d\``;
    return report;
  }
  report.pid = pid.pid;
  try {
    await (await ctx.connectedStore()).ping();
    report.redis = 'ok';
  } catch (err) {
    report.redis = messageOf(err);
    report.reason = `Redis does not answer: ${report.redis}`;
    return report;
  }
  try {
    report.waiting = await (await ctx.fleet()).unplaced();
  } catch (err) {
    report.reason = messageOf(err);
    return report;
  }
  const stateFile = stateFileOf(config.pidfile);
  const state = readState(stateFile);
  report.reason = stateProblem(state, stateFile, report);
  report.healthy = report.reason === null;
  return report;
}

/** What the daemon's state file says is wrong, or null. */
function stateProblem(state: DaemonState | null, file: string, report: CheckReport): string | null {
  if (!state) return `the daemon has written no state file (${file}) yet; it may be starting`;
  report.state_age_ms = Math.max(0, Date.now() - state.updated_at);
  report.claim_age_ms = state.health?.claim_age_ms ?? null;
  if (report.state_age_ms > STATE_STALE_MS)
    return `the daemon's state file (${file}) is ${Math.round(report.state_age_ms / 1000)} s old (rewritten every ${STATE_REFRESH_MS / 1000} s): its main thread may be stuck`;
  // A daemon older than `check` writes no health: its word on Redis is all there is.
  if (!state.health)
    return state.redis.healthy
      ? null
      : `the daemon cannot reach Redis: ${state.redis.error ?? 'unavailable'}`;
  return loopProblem(state.health);
}

/** A label set's waiting tasks, in words. */
function waitingInWords(w: Unplaced): string {
  const count = (n: number, what: string) => (n > 0 ? [`${n} ${what}${n === 1 ? '' : 's'}`] : []);
  const what = [...count(w.tasks, 'task'), ...count(w.runs, 'run')].join(' and ');
  const labels = w.labels.length === 1 ? 'the label' : 'all of those labels';
  const verb = w.tasks + w.runs === 1 ? 'waits' : 'wait';
  return `warning: -on=${w.labels.join(',')}: ${what} ${verb}; no live daemon holds ${labels} (\`ktimer daemons\`)`;
}
