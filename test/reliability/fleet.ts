// Shared pieces of the fault tests: an HTTP sink that counts every call per kid, bulk seeding
// of tasks in the Redis layout of README, several daemons on one Redis, and the figures report.
import { decodeRunRecord, decodeRunsEntry } from '../../src/store/run-record.js';
import { createServer, type Server } from 'node:http';
import type { Cluster, Redis } from 'ioredis';
import { taskKeys, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { firstSchedule } from '../../src/tasks/schedule.js';
import type { Task } from '../../src/tasks/task.js';

export class Sink {
  /** kid -> arrival times, unix ms. */
  readonly hits = new Map<string, number[]>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const kid = url.searchParams.get('kid') ?? '?';
      const at = Date.now();
      const list = this.hits.get(kid) ?? [];
      list.push(at);
      this.hits.set(kid, list);
      // /flaky: every call fails (500) but each third, so a run retried twice succeeds.
      res.statusCode = url.pathname.startsWith('/flaky') && list.length % 3 !== 0 ? 500 : 200;
      res.end('ok');
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  url(path = '/hit'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  get total(): number {
    let n = 0;
    for (const v of this.hits.values()) n += v.length;
    return n;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

export interface PlannedTask {
  kid: string;
  type: 'timer' | 'ticker' | 'cron';
  time: number;
  limit: number;
  command: string;
  dueSec: number;
  /** Cron tasks: the expression (UTC), first run after dueSec. */
  cron?: string;
  /** Its labels: only a daemon holding them all may run it (docs/fleet.md). */
  on?: string[];
}

/** Writes tasks straight into Redis (hash + schedule, or a label set's), as `ktimer add` stores them. */
export function seed(client: Redis | Cluster, prefix: string, tasks: PlannedTask[]): Promise<void> {
  return storeTasks(
    client,
    { ...taskKeys(prefix), placement: `${prefix}:tasks:lock:on` },
    tasks.map((t) => [t.kid, t.on === undefined ? storedFor(t) : { ...storedFor(t), on: t.on }]),
  );
}

/**
 * Writes tasks straight into a sharded fleet's keys (shard 0 first, `shardKeyNames`), each on its
 * shard (`shardOfKid`), as `ktimer add` stores them.
 */
export async function seedShards(
  client: Redis | Cluster,
  shards: readonly { pool: string; trun: string }[],
  shardOfKid: (kid: string) => number,
  tasks: PlannedTask[],
): Promise<void> {
  for (const [shard, keys] of shards.entries()) {
    const mine = tasks.filter((t) => shardOfKid(t.kid) === shard);
    await storeTasks(
      client,
      { pool: keys.pool, schedule: keys.trun },
      mine.map((t) => [t.kid, storedFor(t)] as const),
    );
  }
}

/** A cron task carries its run times ahead, as `add` computes them. */
function storedFor(t: PlannedTask): Task {
  if (t.type !== 'cron')
    return storedTask({
      type: t.type,
      time: t.time,
      limit: t.limit,
      command: t.command,
      run_nexttime: t.dueSec,
    });
  const spec = {
    type: 'cron' as const,
    time: 0,
    limit: t.limit,
    command: t.command,
    cron: t.cron,
    tz: 'UTC',
  };
  return { ...spec, run_num: 0, run_lasttime: 0, ...firstSchedule(spec, 100, t.dueSec * 1000) };
}

/** `timers` timers due uniformly over [startSec, startSec + spreadSec), plus tickers. */
export function plan(opts: {
  /** Hex digits that start every kid of this plan, so plans never share a kid. */
  tag: string;
  sinkUrl: string;
  startSec: number;
  spreadSec: number;
  timers: number;
  tickers: number;
  tickerEverySec: number;
  tickerLimit: number;
  /** Cron tasks every second, limited: they use up their carried runs and are refilled. */
  crons?: number;
  cronLimit?: number;
}): PlannedTask[] {
  const tasks: PlannedTask[] = [];
  for (let i = 0; i < opts.timers; i++) {
    const kid = `${opts.tag}a${i.toString(16).padStart(31 - opts.tag.length, '0')}`;
    const dueSec = Math.round((opts.startSec + (opts.spreadSec * i) / opts.timers) * 1000) / 1000;
    tasks.push({ kid, type: 'timer', time: 5, limit: 1, command: opts.sinkUrl, dueSec });
  }
  for (let i = 0; i < opts.tickers; i++) {
    const kid = `${opts.tag}b${i.toString(16).padStart(31 - opts.tag.length, '0')}`;
    const dueSec = Math.round((opts.startSec + (i % 10) / 10) * 1000) / 1000;
    tasks.push({
      kid,
      type: 'ticker',
      time: opts.tickerEverySec,
      limit: opts.tickerLimit,
      command: opts.sinkUrl,
      dueSec,
    });
  }
  for (let i = 0; i < (opts.crons ?? 0); i++) {
    const kid = `${opts.tag}c${i.toString(16).padStart(31 - opts.tag.length, '0')}`;
    const limit = opts.cronLimit ?? 5;
    const dueSec = opts.startSec;
    tasks.push({ kid, type: 'cron', time: 0, limit, command: opts.sinkUrl, dueSec, cron: '* * * * * *' });
  }
  return tasks;
}

export function expectedFires(tasks: PlannedTask[]): Map<string, number> {
  return new Map(tasks.map((t) => [t.kid, t.type === 'timer' ? 1 : t.limit]));
}

export interface Tally {
  expected: number;
  fired: number;
  duplicates: number;
  lost: number;
  early: number;
  lateness: { p50: number; p99: number; max: number };
}

/** Compares what the sink got with what was planned (timers' lateness from their due time). */
export function tally(
  tasks: PlannedTask[],
  sink: Sink,
  excused: Set<string> = new Set(),
): Tally & { lostKids: string[] } {
  const expected = expectedFires(tasks);
  let fired = 0;
  let duplicates = 0;
  let lost = 0;
  let early = 0;
  const lostKids: string[] = [];
  const late: number[] = [];
  for (const t of tasks) {
    const hits = sink.hits.get(t.kid) ?? [];
    const want = expected.get(t.kid) ?? 0;
    fired += hits.length;
    if (hits.length > want) duplicates += hits.length - want;
    if (hits.length < want && !excused.has(t.kid)) {
      lost += want - hits.length;
      lostKids.push(t.kid);
    }
    if (t.type === 'timer' && hits[0] !== undefined) {
      const ms = hits[0] - t.dueSec * 1000;
      if (ms < 0) early++;
      late.push(ms);
    }
  }
  late.sort((a, b) => a - b);
  const q = (p: number) => Math.round(late[Math.min(late.length - 1, Math.floor(p * late.length))] ?? 0);
  return {
    expected: [...expected.values()].reduce((a, b) => a + b, 0),
    fired,
    duplicates,
    lost,
    early,
    lateness: { p50: q(0.5), p99: q(0.99), max: Math.round(late.at(-1) ?? 0) },
    lostKids,
  };
}

export type RecordCheck = {
  /** Runs on record in the runs stream (ok, failed or lost). */
  records: number;
  /** Fire ids on record more than once: must be 0. */
  duplicates: number;
  lost: number;
  /** Kids whose sink calls outnumber their records: a fire that ran and is not on record. */
  unrecorded: string[];
  /** Fires begun and not yet on record (their lease still held). */
  pending: number;
};

/**
 * Every begun fire on record exactly once: waits until no begun fire is pending (ended and
 * recorded, or recorded lost once its daemon's lease ran out), then compares the runs stream
 * with what the sink got.
 */
export async function checkRecords(
  client: Redis | Cluster,
  prefix: string,
  sink: Sink,
  tasks: readonly PlannedTask[],
  timeoutMs = 60_000,
): Promise<RecordCheck> {
  const lock = `${prefix}:tasks:lock`;
  const deadline = Date.now() + timeoutMs;
  while ((await client.hlen(`${lock}:fires`)) > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 250));
  const entries = await client.xrange(`${lock}:runs`, '-', '+');
  const seen = new Map<string, number>();
  const perKid = new Map<string, number>();
  let lost = 0;
  for (const [, fields] of entries) {
    const s = decodeRunsEntry('test', fields);
    seen.set(s.fire_id, (seen.get(s.fire_id) ?? 0) + 1);
    perKid.set(s.kid, (perKid.get(s.kid) ?? 0) + 1);
    if (s.result === 'lost') lost++;
  }
  // The sink is shared by the tests of a file: only this test's tasks count.
  const unrecorded = tasks
    .filter((t) => (sink.hits.get(t.kid) ?? []).length > (perKid.get(t.kid) ?? 0))
    .map((t) => t.kid);
  return {
    records: entries.length,
    duplicates: [...seen.values()].filter((n) => n > 1).length,
    lost,
    unrecorded,
    pending: await client.hlen(`${lock}:fires`),
  };
}

/**
 * Kids of runs their own daemon stopped because it could not renew their leases (self-fencing,
 * docs/guarantees.md "Redis away"): runs under way, or begun and waiting for a slot, through an
 * outage longer than half of task_lost_after. Each is on record as failed with that reason, so it
 * is not lost; whether its call reached the sink first depends on the machine's load.
 */
export async function fencedKids(client: Redis | Cluster, prefix: string): Promise<Map<string, number>> {
  const lock = `${prefix}:tasks:lock`;
  /** Kid -> when the stopped run started (unix s). */
  const kids = new Map<string, number>();
  for (const [, fields] of await client.xrange(`${lock}:runs`, '-', '+')) {
    const run = decodeRunsEntry('test', fields);
    if (run.result !== 'failed') continue;
    const history = await client.lrange(`${lock}:history:${run.kid}`, 0, -1);
    const record = history
      .map((r) => decodeRunRecord('test', r, run.kid))
      .find((r) => r.fire_id === run.fire_id);
    if (record?.error?.startsWith('stopped by its daemon') === true) kids.set(run.kid, record.started ?? 0);
  }
  return kids;
}

/** Prints the figures of one fault test, for README to quote. */
export function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`# FIGURES ${name}: ${JSON.stringify(figures)}\n`);
}

/** task_lost_after of startFleet's daemons (ms): a killed daemon's begun runs are on record lost by then. */
export const LOST_AFTER_MS = 8000;

/** N daemons sharing one Redis and one key prefix, each with its own pidfile and logs. */
export async function startFleet(
  n: number,
  opts: {
    redisPort: number;
    prefix: string;
    extra?: Parameters<typeof writeTestConfig>[0]['extra'];
    /** The [daemon] lines of the i-th daemon (its name, its labels). */
    daemon?: (i: number) => string[];
  },
): Promise<TestDaemon[]> {
  // Runs begun by a killed daemon are recorded lost 8 s on (60 s by default): the tests wait
  // less. Shorter than the 10 s Redis outage, so that test proves a restart makes no run lost
  // (docs/guarantees.md, "Redis away"); longer than a daemon's reconnect (backoff up to 5 s) plus
  // its renewal, which that grace counts on. shutdown_grace at most half of it (config rule).
  const extra = {
    ...opts.extra,
    default: [
      `task_lost_after = ${LOST_AFTER_MS / 1000}`,
      'shutdown_grace = 4',
      ...(opts.extra?.default ?? []),
    ],
  };
  const daemons = Array.from(
    { length: n },
    (_, i) =>
      new TestDaemon(
        writeTestConfig({
          redisPort: opts.redisPort,
          prefix: opts.prefix,
          extra: opts.daemon ? { ...extra, daemon: opts.daemon(i) } : extra,
        }),
      ),
  );
  await Promise.all(daemons.map((d) => d.start()));
  return daemons;
}

/**
 * A fire that a killed daemon had begun (its command started, or about to) is never run again:
 * those are the only ones excused. Such a fire is begun in Redis until its lease runs out, then on
 * record as lost, naming the killed daemon's pid. `locks`: the fleet's lock key, one per shard.
 */
export async function begunByDead(
  client: Redis | Cluster,
  locks: readonly string[],
  deadOwners: Set<string>,
): Promise<Set<string>> {
  const kids = new Set<string>();
  for (const lock of locks) {
    const all = await client.hgetall(`${lock}:fires`);
    for (const raw of Object.values(all)) {
      const fire = JSON.parse(raw) as { kid: string; owner?: string; state: string };
      if (fire.state === 'started' && deadOwners.has(fire.owner?.split(':')[1] ?? '')) kids.add(fire.kid);
    }
    for (const [, fields] of await client.xrange(`${lock}:runs`, '-', '+')) {
      const run = decodeRunsEntry('test', fields);
      if (run.result !== 'lost') continue;
      const history = await client.lrange(`${lock}:history:${run.kid}`, 0, -1);
      const record = history
        .map((r) => decodeRunRecord('test', r, run.kid))
        .find((r) => r.fire_id === run.fire_id);
      if (deadOwners.has(String(record?.pid))) kids.add(run.kid);
    }
  }
  return kids;
}

/**
 * SIGKILLs the daemons in turn, every `everyMs` once the last one is up again, each restarted at
 * once, until `untilMs` and at least `minKills` kills (a loaded machine restarts slowly: the chaos
 * goes on past untilMs rather than prove less); the pids killed, and when each was (unix ms).
 * `stop` ends it early (a test that failed meanwhile: its cleanup aborts it, so that no daemon is
 * started after the test).
 */
export async function killInTurn(
  daemons: TestDaemon[],
  untilMs: number,
  opts: { everyMs?: number; minKills?: number; stop?: AbortSignal } = {},
): Promise<{ kills: number; dead: Set<string>; killedAt: Map<string, number> }> {
  const { everyMs = 3000, minKills = 0, stop } = opts;
  let kills = 0;
  const dead = new Set<string>();
  const killedAt = new Map<string, number>();
  const stopped = () => stop?.aborted === true;
  while ((Date.now() < untilMs || kills < minKills) && !stopped()) {
    const victim = daemons[kills % daemons.length] as TestDaemon;
    dead.add(String(victim.pid));
    killedAt.set(String(victim.pid), Date.now());
    victim.kill('SIGKILL');
    await victim.waitExit();
    kills++;
    await victim.start();
    if (stopped()) victim.kill('SIGKILL');
    const until = Date.now() + everyMs;
    await waitFor(() => Date.now() > until, { what: 'the next kill', timeoutMs: 5000 });
  }
  return { kills, dead, killedAt };
}

/** When the last planned fire is due (unix ms): a ticker's last run, a cron task's carried runs. */
export function lastDueMs(tasks: readonly PlannedTask[]): number {
  let last = 0;
  for (const t of tasks) {
    // A cron task here runs every second, its first run the second after dueSec.
    const due =
      t.type === 'timer'
        ? t.dueSec
        : t.type === 'ticker'
          ? t.dueSec + t.time * (t.limit - 1)
          : t.dueSec + t.limit;
    last = Math.max(last, due * 1000);
  }
  return last;
}

/** How long after a fire its double could still come: one lease (5 s) after the first, and slack. */
export const DOUBLE_WITHIN_MS = 7000;

/**
 * Waits for every planned fire (less the excused), then until DOUBLE_WITHIN_MS after the later of
 * the last call the sink got for these tasks and `calmFromMs`: when the last fire was due, or when
 * a fault's own doubles could come at the latest (a killed daemon's begun runs are settled
 * task_lost_after after its death: see afterKills). A condition, not a fixed deadline: a fire that
 * came late (an outage, a failover) moves the wait with it.
 */
export async function settle(
  sink: Sink,
  tasks: PlannedTask[],
  calmFromMs: number,
  excused: () => Set<string> = () => new Set(),
  refresh: () => Promise<void> = () => Promise.resolve(),
  explain: (kids: string[]) => Promise<string> = () => Promise.resolve(''),
): Promise<void> {
  const settled = () => tally(tasks, sink, excused()).lost === 0;
  await waitFor(async () => settled() || (await refresh(), settled()), {
    timeoutMs: 120_000,
    intervalMs: 250,
    what: 'every fire',
  }).catch(async (e: unknown) => {
    const short = tally(tasks, sink, excused()).lostKids.slice(0, 3);
    const why = await explain(short).catch((err: unknown) => `(not read: ${String(err)})`);
    throw new Error(
      `${e instanceof Error ? e.message : String(e)}: ${missing(tasks, sink, excused())}${why}`,
    );
  });
  const lastHitMs = () => Math.max(0, ...tasks.map((t) => sink.hits.get(t.kid)?.at(-1) ?? 0));
  await waitFor(() => Date.now() > Math.max(calmFromMs, lastHitMs()) + DOUBLE_WITHIN_MS, {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: 'the settle time',
  });
}

/**
 * What Redis holds of tasks `kids` (one Redis, prefix): their task, schedule score, fires and
 * history rows, for a wait that timed out to say where those runs went.
 */
export function redisStateOf(client: Redis, prefix: string): (kids: string[]) => Promise<string> {
  const lock = `${prefix}:tasks:lock`;
  return async (kids) => {
    const fires = await client.hgetall(`${lock}:fires`);
    const parts = await Promise.all(
      kids.map(async (kid) => {
        const task = await client.hget(`${prefix}:tasks:all`, kid);
        const score = await client.zscore(`${prefix}:tasks:second`, kid);
        const own = Object.entries(fires).filter(([id]) => id.startsWith(`${kid}:`));
        const rows = await client.lrange(`${lock}:history:${kid}`, 0, -1);
        return `${kid}: task ${task === null ? 'gone' : 'stored'}, schedule ${String(score)}, fires ${JSON.stringify(own)}, history ${JSON.stringify(rows)}`;
      }),
    );
    return parts.length > 0 ? `; in Redis: ${parts.join('; ')}` : '';
  };
}

/** When the doubles of killed daemons' runs could come at the latest: task_lost_after after the last death. */
export function afterKills(killedAt: Map<string, number>): number {
  return Math.max(0, ...killedAt.values()) + LOST_AFTER_MS;
}

/** What has not come yet, by kind of task, and the first few: for a wait that timed out. */
function missing(tasks: PlannedTask[], sink: Sink, excused: Set<string>): string {
  const t = tally(tasks, sink, excused);
  const byType: Record<string, number> = {};
  const lost = new Set(t.lostKids);
  const first = tasks.filter((p) => lost.has(p.kid));
  for (const p of first) byType[p.type] = (byType[p.type] ?? 0) + 1;
  const some = first
    .slice(0, 3)
    .map((p) => `${p.kid} (${p.type}, due ${p.dueSec}, ${sink.hits.get(p.kid)?.length ?? 0} calls)`);
  return `${t.fired} of ${t.expected} calls came; tasks short of theirs: ${JSON.stringify(byType)}, e.g. ${some.join(', ')}`;
}
