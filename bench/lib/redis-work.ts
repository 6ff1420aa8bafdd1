// What Redis did over a measured stretch, in figures a shared machine does not disturb: the
// commands it ran (INFO commandstats counts each command a script runs), and, with the server
// started under callgrind (bench/lib/callgrind/redis-server first in PATH, BENCH_CALLGRIND_DIR
// set), the machine instructions it executed; and the server's own counters (CPU, scripts, every
// command's calls and time) to take deltas of.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { RedisServer } from './setup.js';

const CALLGRIND_DIR = process.env.BENCH_CALLGRIND_DIR;

export interface RedisWork {
  /** Commands run, scripts and the commands inside them alike. */
  commands: number;
  /** Instructions executed, or NaN when the server is not under callgrind. */
  instructions: number;
}

async function commandCalls(client: Redis): Promise<number> {
  let calls = 0;
  for (const m of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    if (m[1] !== 'info' && !m[1]?.startsWith('config')) calls += Number(m[2]);
  return calls;
}

function callgrind(port: number, ...command: string[]): void {
  if (CALLGRIND_DIR === undefined) return;
  const pid = readFileSync(`${CALLGRIND_DIR}/pid.${port}`, 'utf8').trim();
  execFileSync('callgrind_control', [...command, pid], { stdio: 'ignore' });
}

/** Instructions in the last profile callgrind wrote for the server on `port`. */
function lastProfile(port: number): number {
  if (CALLGRIND_DIR === undefined) return Number.NaN;
  const files = readdirSync(CALLGRIND_DIR).filter((f) => f.startsWith(`cg.${port}.out.`));
  const last = files.sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1))).at(-1);
  const text = last === undefined ? '' : readFileSync(`${CALLGRIND_DIR}/${last}`, 'utf8');
  return Number(/^(?:totals|summary): (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** Runs `stretch` and returns what Redis (on `port`, reached by `client`) did meanwhile. */
export async function redisWork(
  client: Redis,
  port: number,
  stretch: () => Promise<void>,
): Promise<RedisWork> {
  await client.config('RESETSTAT');
  callgrind(port, '-i', 'on');
  callgrind(port, '-z');
  await stretch();
  callgrind(port, '-d');
  callgrind(port, '-i', 'off');
  return { commands: await commandCalls(client), instructions: lastProfile(port) };
}

/** What a server's INFO says it has done since it started. */
export interface RedisCounters {
  cpuS: number;
  scripts: number;
  /** calls and usec of every command, from INFO commandstats. */
  commands: Map<string, { calls: number; us: number }>;
  /** INFO stats counters: total_reads_processed and the like. */
  stats: Map<string, number>;
}

/** The server's counters now (one client, opened and closed here). */
export async function counters(redis: RedisServer): Promise<RedisCounters> {
  const c = redis.client();
  const cpu = await c.info('cpu');
  const stats = await c.info('commandstats');
  const general = await c.info('stats');
  c.disconnect();
  const num = (re: RegExp) => Number(re.exec(cpu)?.[1] ?? Number.NaN);
  // Only the script calls: commandstats counts the commands a script runs as calls too.
  let scripts = 0;
  for (const m of stats.matchAll(/^cmdstat_(eval|evalsha|eval_ro|evalsha_ro|fcall):calls=(\d+)/gm))
    scripts += Number(m[2]);
  const commands = new Map<string, { calls: number; us: number }>();
  for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    commands.set(m[1] ?? '?', { calls: Number(m[2]), us: Number(m[3]) });
  const counted = new Map<string, number>();
  for (const m of general.matchAll(/^(total_\w+):(\d+)/gm)) counted.set(m[1] ?? '?', Number(m[2]));
  return {
    cpuS: num(/used_cpu_user:([\d.]+)/) + num(/used_cpu_sys:([\d.]+)/),
    scripts,
    commands,
    stats: counted,
  };
}

/** µs the server spent in scripts (EVAL, EVALSHA, FCALL and their read-only forms) between two readings. */
export function scriptUsBetween(before: RedisCounters, after: RedisCounters): number {
  let us = 0;
  for (const [name, a] of after.commands)
    if (/^(eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro)$/.test(name))
      us += a.us - (before.commands.get(name)?.us ?? 0);
  return us;
}
