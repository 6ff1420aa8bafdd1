// The daemon makes a run's row (store/run-record.ts encodeRunRow) and finish.lua files it without
// decoding the fire (its fast path; the fire decoded only to find a token cjson escapes
// otherwise); a run it sends no row for goes the slow path, where Lua's
// record_row makes it. Both must leave the same bytes in Redis: each run is finished twice, under
// two sets of keys holding the same fire, once each way, and the rows compared byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import type { RunEnding } from '../../src/runs/record.js';
import { type EndedRun, FINISH, type FinishRequest, rowsOf } from '../../src/store/fire-scripts.js';
import type { Fire } from '../../src/store/fire-record.js';
import type { StoreKeys } from '../../src/store/keys.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { endingOf, historyRules, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000;
const OWNER = 'host-1.example:4242:ab12';

const access = (keys: StoreKeys) =>
  new RedisAccess(redis.client, keys, (e) => new KtimerError('redis', String(e)));

/** Run `run_num` of timer `kid`, begun by OWNER under its `run_num`th lease, and anything `over` says. */
const fireOf = (kid: string, runNum: number, over: Partial<Fire> = {}, owner = OWNER): Fire => ({
  id: `${kid}:${over.attempt ?? runNum}`,
  kid,
  type: 'timer',
  kind: 'shell',
  command: 'echo hi',
  state: 'started',
  dueMs: T0,
  run_num: runNum,
  limit: 0,
  claimedMs: T0,
  owner,
  token: `${owner}/${T0}/${runNum}`,
  ...over,
});

const baseEnding: RunEnding = {
  ...endingOf(fireOf('k', 1), { startedMs: T0 + 12.3456, durationMs: 500 }),
  finishedMs: T0 + 512.5,
  latenessMs: 12.3,
};

type Case = [string, Partial<Fire>, Partial<RunEnding>, string?];
const CASES: Case[] = [
  ['ok, a shell timer', {}, {}],
  ['failed, not retryable', {}, { result: 'failed', exitCode: 1, error: 'exit status 1' }],
  [
    'timed out by a signal',
    { type: 'ticker' },
    { result: 'failed', exitCode: null, signal: 'SIGKILL', timedOut: true, error: 'timed out after 30s' },
  ],
  [
    'a URL with an HTTP status',
    { kind: 'url' },
    { result: 'failed', exitCode: null, httpStatus: 503, error: 'HTTP 503 Service Unavailable' },
  ],
  ['a URL ok', { kind: 'url', type: 'cron' }, { httpStatus: 200, stdout: '{"a":"b/c"}' }],
  [
    'output, non-ASCII, control characters',
    {},
    { stdout: 'héllo wörld ✓ 日本\n', stderr: 'a\tb\u0001"q"/\\\u007f' },
  ],
  ['a long error', {}, { result: 'failed', exitCode: 2, error: `bad: ${'x/"é\n'.repeat(3000)}` }],
  ['an error of only escapes', {}, { result: 'failed', exitCode: 3, error: '\b\f\r\n\t\u001f/' }],
  ['a run by hand', { trigger: 'manual' }, {}],
  ['attempt 3 of a retry', { trigger: 'retry', attempt: 3, first: 'k:1' }, { result: 'failed', exitCode: 1 }],
  ['a cron task, named', { type: 'cron', name: 'nightly/backup' }, { latenessMs: -0.4 }],
  [
    'early and late',
    { dueMs: T0 + 999 },
    { latenessMs: -986.7, startedMs: T0 + 12.5, finishedMs: T0 + 13.4999 },
  ],
  ['no exit code, no output, zero lateness', {}, { exitCode: null, latenessMs: 0, durationMs: 0 }],
  ['an owner with no pid', {}, {}, 'just-a-host'],
  ['an owner cjson escapes otherwise (its lease found by decoding the fire)', {}, {}, 'a"b:1:t'],
];

/** The fire as claim.lua stores it (cjson's encoding: '/' as '\/'), owned by `owner`. */
async function storeFire(keys: StoreKeys, fire: Fire): Promise<void> {
  const json = JSON.stringify({
    ...fire,
    due: fire.dueMs / 1000,
    claimed: fire.claimedMs,
    dueMs: undefined,
    claimedMs: undefined,
  });
  await redis.client.eval(
    "redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(cjson.decode(ARGV[2])))",
    1,
    keys.fires,
    fire.id,
    json,
  );
}

/** finish.lua over `keys`, with the daemon's rows or (null) none: the reply's triples. */
function finish(keys: StoreKeys, req: FinishRequest, rows: (string | null)[]) {
  return access(keys).script(FINISH, { ...req, rows });
}

/** What the run left in Redis under `keys`: its history row, last run, stream row, output, streak. */
async function stored(keys: StoreKeys, kid: string, fireId: string): Promise<unknown[]> {
  const entries = await redis.client.xrange(keys.runs, '-', '+');
  return [
    await redis.client.lrange(`${keys.history}${kid}`, 0, -1),
    await redis.client.hget(keys.last, kid),
    entries.map(([, fields]) => fields),
    await redis.client.get(`${keys.output}${fireId}`),
    await redis.client.get(`${keys.streak}${kid}`),
    await redis.client.hlen(keys.fires),
  ];
}

test("the daemon's row is record_row's, byte for byte, and files the same, its lease found with or without decoding the fire", async () => {
  for (const [i, [what, fireOver, endingOver, owner = OWNER]] of CASES.entries()) {
    const kid = `k${i}`;
    const fire = fireOf(kid, i, fireOver, owner);
    const req: FinishRequest = {
      owner,
      nowMs: T0 + 600,
      history: historyRules(testKeys('unused')),
      runs: [{ fire, ending: { ...baseEnding, ...endingOver }, retryable: false } satisfies EndedRun],
    };
    const [fast, slow] = [testKeys(`fast${i}`), testKeys(`slow${i}`)];
    for (const keys of [fast, slow]) await storeFire(keys, fire);
    const rows = rowsOf({ ...req, history: historyRules(fast) });
    const [byDaemon] = await finish(fast, { ...req, history: historyRules(fast) }, rows);
    const [byLua] = await finish(slow, { ...req, history: historyRules(slow) }, [null]);
    assert.equal(typeof rows[0], 'string', what);
    assert.equal(rows[0], byLua?.row, `${what}: the row`);
    // Filed as sent (the reply says so, without the row), even where the lease is found only by
    // decoding the fire (an owner cjson escapes otherwise).
    assert.deepEqual(byDaemon, { recorded: true, streak: byLua?.streak, row: null }, what);
    assert.deepEqual(
      await stored(fast, kid, fire.id),
      await stored(slow, kid, fire.id),
      `${what}: what is kept`,
    );
    // Once on record, the fire is gone: a finish again records nothing, either way.
    assert.deepEqual(await finish(fast, req, rows), [{ recorded: false, streak: 0, row: null }], what);
  }
});

test('the fast path only for the lease held: another token, or a fire taken over, is not recorded', async () => {
  const keys = testKeys('notheld');
  const fire = fireOf('n', 1);
  await storeFire(keys, fire);
  const req = (f: Fire, owner = OWNER): FinishRequest => ({
    owner,
    nowMs: T0 + 600,
    history: historyRules(keys),
    runs: [{ fire: f, ending: baseEnding, retryable: false }],
  });
  for (const r of [
    req({ ...fire, token: `${OWNER}/${T0}/2` }),
    req({ ...fire, token: `${OWNER}/${T0}/` }),
    req(fire, 'other:1:x'),
  ])
    assert.deepEqual(await finish(keys, r, rowsOf(r)), [{ recorded: false, streak: 0, row: null }]);
  // The same fire twice in one batch: recorded once.
  const twice = { ...req(fire), runs: [...req(fire).runs, ...req(fire).runs] };
  const replies = await finish(keys, twice, rowsOf(twice));
  assert.deepEqual(
    replies.map((r) => r.recorded),
    [true, false],
  );
  assert.equal(await redis.client.llen(`${keys.history}n`), 1);
});

test('with no output kept (history_max_output 0), neither row says output bytes', async () => {
  const keys = testKeys('nooutput');
  const history = historyRules(keys, { maxOutputBytes: 0 });
  const fire = fireOf('o', 1);
  const req: FinishRequest = {
    owner: OWNER,
    nowMs: T0 + 600,
    history,
    runs: [{ fire, ending: { ...baseEnding, stdout: 'out' }, retryable: false }],
  };
  await storeFire(keys, fire);
  const [row] = rowsOf(req);
  assert.equal((JSON.parse(row ?? '') as unknown[])[12] ?? null, null, 'no output bytes');
  await storeFire(keys, { ...fire, id: 'o:2' });
  const slowReq = { ...req, runs: [{ ...req.runs[0], fire: { ...fire, id: 'o:2' } }] } as FinishRequest;
  const [byLua] = await finish(keys, slowReq, [null]);
  assert.equal(byLua?.row, row?.replace('"o:1"', '"o:2"'));
});
