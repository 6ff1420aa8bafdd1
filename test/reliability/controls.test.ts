// Exactly once for the controls of README "Steering tasks", proven through faults: 3 daemons on
// one Redis, one SIGKILLed and restarted every 2 s (once up again), and Redis shut down for 3 s and restarted
// from its AOF, while tasks are paused and resumed, run by hand, kept from overlapping
// (-overlap=skip, a slow command) and retried (-retries, a receiver failing twice in three).
import { decodeRunRecord } from '../../src/store/run-record.js';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { report, Sink, startFleet } from './fleet.js';

interface Run {
  fire_id: string;
  kid: string;
  result: 'ok' | 'failed' | 'lost' | 'skipped';
  trigger: 'schedule' | 'manual' | 'retry';
  attempt: number;
  due: number;
  started?: number;
  duration_ms?: number;
  retry_at?: number;
}

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
      retries: '3',
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

  // Kill -9 one daemon every 2 s once the last one is up again, and restart it.
  let kills = 0;
  const chaos = (async () => {
    while (Date.now() < startMs + CHAOS_MS) {
      const victim = daemons[kills % daemons.length] as TestDaemon;
      victim.kill('SIGKILL');
      await victim.waitExit();
      kills++;
      await victim.start();
      const until = Date.now() + 2000;
      await waitFor(() => Date.now() > until, { what: 'the next kill', timeoutMs: 5000 });
    }
  })();

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
  await redis.stop();
  await at(14_500);
  await redis.launch();
  await Promise.all([chaos, pauses, runs]);

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
      records.push(decodeRunRecord('test', raw) as unknown as Run);
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

  // 5. Retries: each timer's run failed twice and succeeded on its third attempt, each attempt
  // once (a run lost with its daemon is not retried: such a timer is excused).
  const retryFigures = { timers: 20, succeeded_third: 0, lost: 0 };
  for (let i = 0; i < 20; i++) {
    const mine = byKid(`r${i}`).sort((a, b) => a.attempt - b.attempt);
    if (mine.some((r) => r.result === 'lost')) {
      retryFigures.lost++;
      continue;
    }
    assert.deepEqual(
      mine.map((r) => `${r.attempt}:${r.result}`),
      ['1:failed', '2:failed', '3:ok'],
      `r${i}: ${JSON.stringify(mine)}`,
    );
    assert.equal(sink.hits.get(`r${i}`)?.length, 3, `r${i}: three calls`);
    retryFigures.succeeded_third++;
  }
  assert.ok(
    retryFigures.succeeded_third >= 15,
    `most timers retried to success: ${JSON.stringify(retryFigures)}`,
  );
  report('controls-chaos', {
    kills,
    redis_outage_ms: 3000,
    records: records.length,
    manual_runs: manual.length,
    skipped,
    overlaps,
    retries: retryFigures,
    lost: records.filter((r) => r.result === 'lost').length,
  });
});
