// The rules of a run's life that have a Lua twin (src/runs/: units, kinds, ids, grid, retry), run on a
// real Redis through the generated include the scripts use, give what the TypeScript gives: the
// claim rounds, names and moves a ticker on as `add`, `next`, resume and the recorder do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slotsDue } from '../../src/runs/grid.js';
import {
  attemptIdOf,
  fireIdOf,
  hostPidOf,
  kidOfFireId,
  missedIdOf,
  runOfFireId,
} from '../../src/runs/ids.js';
import { commandKind } from '../../src/runs/kinds.js';
import { jitterOf, retryWaitMs } from '../../src/runs/retry.js';
import { msOfSec, secOfMs, wholeMs } from '../../src/runs/units.js';
import { GENERATED_INCLUDE } from '../../src/store/lua-generated.js';
import { readLua } from '../../src/store/script.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();

/** `body` run after the generated include, with `args` as ARGV; its reply. */
const lua = async (body: string, ...args: (string | number)[]): Promise<unknown> =>
  redis.client.eval(`${readLua(GENERATED_INCLUDE)}\n${body}`, 0, ...args);

/** A Lua number as a string that keeps every bit (Redis would truncate a number reply). */
const exact = (expr: string) => `string.format('%.17g', ${expr})`;

test('seconds and ms: one rounding, half up, in both languages', async () => {
  const secs = [1_800_000_000.123, 1.005, 0.1, 2.5, 0.0005, 0.0015, 1234.5675, 86_400.9995, 3];
  for (const sec of secs) {
    assert.equal(
      Number(await lua(`return ${exact('to_ms(tonumber(ARGV[1]))')}`, String(sec))),
      msOfSec(sec),
      `${sec} s`,
    );
  }
  const mss = [1_800_000_000_123.4, 1_800_000_000_123.5, 0.5, 1.49999, 999.5, 12];
  for (const ms of mss) {
    const [whole, sec] = (await lua(
      `local ms = tonumber(ARGV[1]) return { ${exact('whole_ms(ms)')}, ${exact('to_sec(ms)')} }`,
      String(ms),
    )) as string[];
    assert.deepEqual([Number(whole), Number(sec)], [wholeMs(ms), secOfMs(ms)], `${ms} ms`);
  }
});

test('a command is a URL by the same prefixes, in any case', async () => {
  const commands = [
    'http://x',
    'HTTPS://x/y',
    'hTtP://',
    'https:/x',
    'ftp://x',
    'httpx://',
    '',
    'echo https://x',
    ' http://x',
  ];
  for (const command of commands) {
    assert.equal(
      await lua('return kind_of(ARGV[1])', command),
      commandKind(command),
      JSON.stringify(command),
    );
  }
});

test('fire ids, attempts, the kid of a fire id, and the host and pid of an owner id', async () => {
  assert.equal(await lua('return fire_id_of(ARGV[1], tonumber(ARGV[2]))', 'k', 12), fireIdOf('k', 12));
  assert.equal(
    await lua('return attempt_id_of(ARGV[1], tonumber(ARGV[2]))', 'k:12', 3),
    attemptIdOf('k:12', 3),
  );
  for (const id of ['k:1', 'a:b:12.9', 'nightly:3.2']) {
    assert.equal(await lua('return kid_of_fire_id(ARGV[1])', id), kidOfFireId(id), id);
  }
  // The run part, as the dashboard and `ktimer history` show it beside the task.
  const kid = 'f'.repeat(32);
  assert.deepEqual(
    [fireIdOf(kid, 4), attemptIdOf(fireIdOf(kid, 4), 2), missedIdOf(kid, 1_800_000_000_500)].map(runOfFireId),
    ['4', '4.2', 'missed-1800000000'],
  );
  for (const id of ['k:1', 'a:b:12.9']) assert.equal(`${kidOfFireId(id)}:${runOfFireId(id)}`, id);
  for (const owner of ['host:42:ab', 'a:b:7:x', 'A', 'h:1:', 'h:x:1']) {
    const [host, pid] = (await lua('local h, p = host_pid_of(ARGV[1]) return { h, p or false }', owner)) as [
      string,
      number | null,
    ];
    const ts = hostPidOf(owner);
    assert.deepEqual({ host, pid: pid ?? undefined }, { host: ts.host, pid: ts.pid }, owner);
  }
});

test("a ticker's grid: the same slots due, periods in whole ms", async () => {
  const cases: [number, number, number][] = [
    [1000, 1000, 0.1],
    [1000, 5999, 1],
    [1000, 6000, 1],
    [0, 1_800_000_000_000, 0.3],
    [1_800_000_000_000, 1_800_000_012_345, 1.5],
  ];
  for (const [due, now, timeSec] of cases) {
    const got = await lua(
      'return slots_due(tonumber(ARGV[1]), tonumber(ARGV[2]), period_ms_of(tonumber(ARGV[3])))',
      due,
      now,
      String(timeSec),
    );
    assert.equal(got, slotsDue(due, now, msOfSec(timeSec)), `${due} ${now} ${timeSec}`);
  }
});

test("a retry's wait: the same jitter from the fire id, the same doubling and cap", async () => {
  const ids = ['k:1', 'k:1.2', 'nightly:12.3', `${'ab'.repeat(16)}:123456`, 'é:1', ''];
  for (const id of ids) {
    assert.equal(Number(await lua(`return ${exact('jitter_of(ARGV[1])')}`, id)), jitterOf(id), id);
  }
  const cases: [number, number, number][] = [
    [1, 1, 0],
    [1, 1, 0.5],
    [10, 3, 0.999],
    [7, 2, jitterOf('k:1.2')],
    [3600, 1, 0.9],
    [1, 40, 0.1],
    [13, 5, 0.123456789],
  ];
  for (const [delay, n, unit] of cases) {
    const got = await lua(
      `return ${exact('retry_wait_ms(tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))')}`,
      delay,
      n,
      String(unit),
    );
    assert.equal(Number(got), retryWaitMs(delay, n, unit), `${delay} s, retry ${n}, unit ${unit}`);
  }
});
