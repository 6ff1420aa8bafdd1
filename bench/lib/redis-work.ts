// What Redis did over a measured stretch, in figures a shared machine does not disturb: the
// commands it ran (INFO commandstats counts each command a script runs), and, with the server
// started under callgrind (bench/lib/callgrind/redis-server first in PATH, BENCH_CALLGRIND_DIR
// set), the machine instructions it executed.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

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
