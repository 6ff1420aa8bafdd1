// Exactly once for the controls of docs/steering.md, proven through faults: 3 daemons on one
// Redis, one SIGKILLed and restarted every 2 s (once up again), and Redis shut down for 3 s and
// restarted from its AOF, while tasks are paused and resumed, run by hand, kept from overlapping
// (-overlap=skip, a slow command) and retried (-retries, a receiver failing twice in three). A run
// lost with its daemon is a failed attempt (issue 29): every retrying timer reaches its successful
// attempt, and the time from a daemon's death to its lost run's retry is measured.
import { decodeRunRecord } from '../../src/store/run-record.js';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { killInTurn, LOST_AFTER_MS, report, Sink, startFleet } from './fleet.js';

interface Run {
  fire_id: string;
  kid: string;
  result: 'ok' | 'failed' | 'lost' | 'skipped';
  trigger: 'schedule' | 'manual' | 'retry';
  attempt: number;
  due: number;
  started?: number;
  finished: number;
  duration_ms?: number;
  retry_at?: number;
  pid?: number;
}

/** The retrying timers' -retries: room for a lost attempt or two besides the two failures. */
const RETRIES = 5;

const PREFIX = 'controls';
const CHAOS_MS = 24_000;
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

test('pause/resume, run now, overlap=skip and retries under kill -9 and a Redis restart: each run once', async () => {
  const sink = new Sink();
  await sink.start();
  cleanup.push(() => sink.close());
  const redis = await RedisServer.start({ aof: true });
  cleanup.push(() => redis.destroy());
  const client = redis.client();
  cleanup.push(() => client.disconnect());
  const daemons = await startFleet(3, { redisPort: redis.port, prefix: PREFIX });
  cleanup.push(() => {
    for (const d of daemons) d.kill();
  });
  const cli = (args: string[]) => (daemons[0] as TestDaemon).cli(args);
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-controls-'));

  // The tasks, from one file (names make `add --file` idempotent).
  const lines: object[] = [];
  for (let i = 0; i < 5; i++)
    lines.push({ name: `p${i}`, type: 'ticker', time: '1', command: sink.url(`/p?kid=p${i}`) });
  for (let i = 0; i < 3; i++)
    lines.push({ name: `m${i}`, type: 'ticker', time: '3600', command: sink.url(`/m?kid=m${i}`) });
  for (let i = 0; i < 4; i++)
    lines.push({ name: `o${i}`, type: 'ticker', time: '1', overlap: 'skip', command: 'sleep 2.5' });
  for (let i = 0; i < 20; i++)
    lines.push({
      name: `r${i}`,
      time: String(2 + i),
      retries: String(RETRIES),
      retry_delay: '1',
      command: sink.url(`/flaky?kid=r${i}`),
    });
  const file = join(dir, 'tasks.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
  const added = await cli(['add', '--file', file]);
  assert.equal(added.code, 0, added.stderr);
  const kidOf = new Map<string, string>();
  for (const t of JSON.parse((await cli(['list', '--json'])).stdout).tasks as { kid: string; name: string }[])
    kidOf.set(t.name, t.kid);

  const startMs = Date.now();
  const at = (ms: number) =>
    waitFor(() => Date.now() >= startMs + ms, { what: `t+${ms} ms`, timeoutMs: ms + 30_000 });
  // A command that found Redis down sent nothing: it is tried again (the outage lasts 3 s). One
  // whose connection closed under it (Redis stopping mid-command: a loaded machine can push a
  // step into the outage) may have been done: tried again only when doing it twice is the same
  // (pause, resume), never for run, whose every fire id is counted.
  const ok = async (args: string[]) => {
    const twiceIsOnce = args[0] === 'pause' || args[0] === 'resume';
    // Bounded: after a failure elsewhere the harness stops Redis, and this must not spin for good.
    const giveUpMs = Date.now() + 30_000;
    for (;;) {
      const res = await cli(args);
      const down = twiceIsOnce ? /cannot reach Redis/ : /cannot reach Redis.*ECONNREFUSED/;
      if (res.code !== 0 && down.test(res.stderr) && Date.now() < giveUpMs) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
      return res;
    }
  };

  // Kill -9 one daemon every 2 s once the last one is up again, and restart it; when each pid died.
  const stopChaos = new AbortController();
  cleanup.push(() => stopChaos.abort());
  const chaos = killInTurn(daemons, startMs + CHAOS_MS, { everyMs: 2000, stop: stopChaos.signal });

  // Pause and resume p0..p4 twice, away from the Redis outage (t+11 s to t+15 s).
  const paused: [fromMs: number, toMs: number][] = [];
  const pauses = (async () => {
    for (const [pauseAt, resumeAt] of [
      [3000, 8000],
      [16_000, 21_000],
    ] as const) {
      await at(pauseAt);
      await Promise.all([0, 1, 2, 3, 4].map((i) => ok(['pause', `p${i}`])));
      const from = Date.now();
      await at(resumeAt);
      const to = Date.now();
      await Promise.all([0, 1, 2, 3, 4].map((i) => ok(['resume', `p${i}`])));
      paused.push([from, to]);
    }
  })();

  // Run m0..m2 by hand every 2 s, away from the outage; each run's fire id is kept.
  const manual: string[] = [];
  const runs = (async () => {
    for (let t = 1000; t < CHAOS_MS; t += 2000) {
      if (t > 10_000 && t < 16_000) continue;
      await at(t);
      const res = await Promise.all(
        [0, 1, 2].map(async (i) => JSON.parse((await ok(['run', `m${i}`, '--json'])).stdout)),
      );
      for (const r of res) manual.push(r.fire_id);
    }
  })();

  // Redis away for 3 s, restarted from its AOF.
  await at(11_500);
  const outageFromMs = Date.now();
  await redis.stop();
  await at(14_500);
  await redis.launch();
  const outageToMs = Date.now();
  const [{ kills, killedAt }] = await Promise.all([chaos, pauses, runs]);
  const diedAt = new Map([...killedAt].map(([pid, ms]) => [Number(pid), ms]));

  // From a daemon's death to its lost run's retry, measured apart from the chaos (whose lost runs
  // come mostly with the Redis outage, kept for task_lost_after after a Redis restart): 3 timers
  // whose first attempt runs until its daemon dies; each daemon running one is SIGKILLed, then
  // started again, and each run is retried by whichever daemon claims first.
  const marks = join(dir, 'deaths');
  mkdirSync(marks);
  for (let i = 0; i < 3; i++) {
    const mark = join(marks, `d${i}`);
    const res = await ok([
      'add',
      `-name=d${i}`,
      '-time=1',
      '-retries=1',
      '-retry_delay=1',
      `-command=[ -e ${mark} ] && exit 0; echo "$KTIMER_CONFIG" > ${mark}; sleep 60`,
    ]);
    kidOf.set(`d${i}`, /newkid:\[([0-9a-f]{32})\]/.exec(res.stdout)?.[1] ?? '?');
  }
  const runningOn = await waitFor(
    () => {
      const files = [0, 1, 2].map((i) => join(marks, `d${i}`));
      return files.every((f) => existsSync(f)) ? files.map((f) => readFileSync(f, 'utf8').trim()) : null;
    },
    { what: 'the 3 long first attempts running', timeoutMs: 20_000 },
  );
  const victims = daemons.filter((d) => runningOn.includes(d.config));
  for (const d of victims) {
    diedAt.set(d.pid, Date.now());
    d.kill('SIGKILL');
  }
  for (const d of victims) {
    await d.waitExit();
    await d.start();
  }

  // Every task paused for good now; then wait until nothing is claimed, running, or waiting.
  await ok(['pause', '--all']);
  const lock = `${PREFIX}:tasks:lock`;
  // Retries waiting are fires too: the hash empties once every run ended and is on record.
  await waitFor(
    async () => (await client.hlen(`${lock}:fires`)) === 0 && (await client.hlen(`${lock}:queued`)) === 0,
    { what: 'every run ended and on record', timeoutMs: 90_000, intervalMs: 500 },
  );
  const records: Run[] = [];
  for (const kid of kidOf.values())
    for (const raw of await client.lrange(`${lock}:history:${kid}`, 0, -1))
      records.push(decodeRunRecord('test', raw, kid) as unknown as Run);
  const byKid = (name: string) => records.filter((r) => r.kid === kidOf.get(name));

  // 1. No run on record twice; the stream agrees with the lists.
  const ids = records.map((r) => r.fire_id);
  assert.equal(new Set(ids).size, ids.length, 'a fire id on record twice');
  assert.equal(await client.xlen(`${lock}:runs`), records.length);

  // 2. Run now: each run handed out is on record once, as manual; the sink got each good one once.
  const manualRecords = records.filter((r) => r.trigger === 'manual');
  assert.deepEqual(manualRecords.map((r) => r.fire_id).sort(), [...manual].sort());
  for (const name of ['m0', 'm1', 'm2']) {
    const mine = byKid(name);
    const good = mine.filter((r) => r.result === 'ok').length;
    const lost = mine.filter((r) => r.result === 'lost').length;
    const hits = sink.hits.get(name)?.length ?? 0;
    assert.ok(
      hits >= good && hits <= good + lost,
      `${name}: ${hits} calls for ${good} ok + ${lost} lost runs`,
    );
  }

  // 3. Pause: no scheduled run due while its task was paused (a run claimed before the pause
  // was due before it); runs after each resume.
  const pausedRuns: string[] = [];
  for (let i = 0; i < 5; i++)
    for (const r of byKid(`p${i}`))
      if (
        r.trigger === 'schedule' &&
        paused.some(([from, to]) => r.due * 1000 > from + 50 && r.due * 1000 < to)
      )
        pausedRuns.push(r.fire_id);
  assert.deepEqual(pausedRuns, [], 'runs due while paused');
  for (const [, to] of paused)
    assert.ok(
      records.some((r) => r.kid === kidOf.get('p0') && r.due * 1000 > to),
      'p0 fires after resume',
    );

  // 4. overlap=skip: the runs of a task never overlap (lost runs aside: their daemon died); some skipped.
  let overlaps = 0;
  let skipped = 0;
  for (let i = 0; i < 4; i++) {
    const spans = byKid(`o${i}`)
      .filter((r) => r.result === 'ok' || r.result === 'failed')
      .map((r) => [(r.started ?? 0) * 1000, (r.started ?? 0) * 1000 + (r.duration_ms ?? 0)] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let j = 1; j < spans.length; j++)
      if ((spans[j] as [number, number])[0] < (spans[j - 1] as [number, number])[1]) overlaps++;
    skipped += byKid(`o${i}`).filter((r) => r.result === 'skipped').length;
  }
  assert.equal(overlaps, 0, 'runs of an overlap=skip task that overlapped');
  assert.ok(skipped > 0, 'runs skipped because the one before was under way');

  // 5. Retries: each timer's run ends in its successful attempt, each attempt once, numbered
  // without a gap; none ends lost (a run lost with its daemon is a failed attempt, retried). A
  // call reached the receiver for each attempt not lost (and maybe for a lost one: its daemon may
  // have died after the call), so the receiver's third call, the first to succeed, came at
  // attempt 3 or later.
  const retryFigures = { timers: 20, succeeded: 0, succeeded_third: 0, lost_attempts: 0 };
  const retriesOfLost: { lost: Run; retry: Run }[] = [];
  for (let i = 0; i < 20; i++) {
    const mine = byKid(`r${i}`).sort((a, b) => a.attempt - b.attempt);
    const what = `r${i}: ${JSON.stringify(mine)}`;
    assert.deepEqual(
      mine.map((r) => r.attempt),
      mine.map((_, j) => j + 1),
      `each attempt once, in order: ${what}`,
    );
    assert.equal(mine.at(-1)?.result, 'ok', `ends in its successful attempt: ${what}`);
    assert.ok(mine.length >= 3 && mine.length <= RETRIES + 1, what);
    const lost = mine.filter((r) => r.result === 'lost');
    assert.ok(
      mine.slice(0, -1).every((r) => r.retry_at !== undefined),
      `each failed or lost attempt was retried: ${what}`,
    );
    const hits = sink.hits.get(`r${i}`)?.length ?? 0;
    const called = mine.length - lost.length;
    assert.ok(hits >= called && hits <= mine.length, `r${i}: ${hits} calls for ${what}`);
    retryFigures.succeeded++;
    if (mine.length === 3 && lost.length === 0) retryFigures.succeeded_third++;
    retryFigures.lost_attempts += lost.length;
    for (const l of lost) retriesOfLost.push({ lost: l, retry: mine[l.attempt] as Run });
  }

  // 6. From a daemon's death to its lost run's retry: its lease (task_lost_after at most, from its
  // last renewal), then the retry's wait (retry_delay doubling, +-20 %), then a claim and a start:
  // within a second of those two, unless the Redis outage held the claims up (a restart keeps a
  // lease for task_lost_after: the chaos's lost runs are measured, not held to it).
  const latency = ({ lost, retry }: { lost: Run; retry: Run }) => {
    const died = diedAt.get(lost.pid ?? 0);
    if (died === undefined || retry.started === undefined || lost.retry_at === undefined) return [];
    const toRetryMs = retry.started * 1000 - died;
    const beyondMs = toRetryMs - LOST_AFTER_MS - (lost.retry_at - lost.finished) * 1000;
    const inOutage = died < outageToMs + 5000 && died + toRetryMs > outageFromMs;
    return [{ id: lost.fire_id, toRetryMs, beyondMs, inOutage }];
  };
  const deaths = [0, 1, 2].flatMap((i) => {
    const [first, second] = byKid(`d${i}`).sort((a, b) => a.attempt - b.attempt);
    const what = `d${i}: ${JSON.stringify(byKid(`d${i}`))}`;
    assert.deepEqual([first?.result, second?.result, second?.trigger], ['lost', 'ok', 'retry'], what);
    return latency({ lost: first as Run, retry: second as Run });
  });
  assert.equal(deaths.length, 3, 'each death measured');
  const chaosDeaths = retriesOfLost.flatMap(latency);
  for (const l of [...deaths, ...chaosDeaths.filter((c) => !c.inOutage)])
    assert.ok(l.beyondMs <= 1000, `${l.id}: its retry ${Math.round(l.beyondMs)} ms after lease + wait`);
  const ms = (xs: number[]) =>
    xs.length === 0 ? null : { min: Math.round(Math.min(...xs)), max: Math.round(Math.max(...xs)) };

  report('controls-chaos', {
    kills,
    redis_outage_ms: 3000,
    records: records.length,
    manual_runs: manual.length,
    skipped,
    overlaps,
    retries: retryFigures,
    lost: records.filter((r) => r.result === 'lost').length,
    lost_after_ms: LOST_AFTER_MS,
    death_to_retry_ms: ms(deaths.map((l) => l.toRetryMs)),
    beyond_lost_after_and_wait_ms: ms(deaths.map((l) => l.beyondMs)),
    chaos_death_to_retry_ms: ms(chaosDeaths.map((l) => l.toRetryMs)),
  });
});
