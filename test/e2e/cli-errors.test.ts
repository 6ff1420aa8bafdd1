// Bad input, end to end: exit 2, one line on stderr, no stack trace, nothing stored. Redis
// away: exit 1, clearly, within seconds.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { type CliResult, runCli, taskKeys, writeTestConfig } from '../helpers/cli.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
let config: string;
const PREFIX = 'errs';

before(async () => {
  await redis.ready();
  config = writeTestConfig({ redisPort: redis.server.port, prefix: PREFIX });
});

const kt = (...args: string[]) => runCli([...args, '--config', config]);

function oneLineError(res: CliResult, code: number, pattern: RegExp): void {
  assert.equal(res.code, code, `exit ${res.code}: ${res.stderr}`);
  assert.equal(res.stdout, '');
  const lines = res.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, res.stderr);
  assert.match(lines[0] ?? '', /^ktimer: error: /);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
}

async function stored(): Promise<number> {
  const { pool, schedule } = taskKeys(PREFIX);
  return (await redis.client.hlen(pool)) + (await redis.client.zcard(schedule));
}

test('unknown commands and options are usage errors with a hint to ktimer help', async () => {
  oneLineError(await kt('bogus'), 2, /unknown command 'bogus'.*see `ktimer help`/);
  oneLineError(await kt('add', '-bogus=1'), 2, /unknown option '--bogus=1'.*see `ktimer help`/);
  oneLineError(await kt('add', '--tim=5'), 2, /Did you mean --time\?/);
  oneLineError(await kt('add', '--time'), 2, /argument missing/);
  oneLineError(await runCli([]), 2, /no command given; see `ktimer help`/);
});

test('every bad task value: exit 2, a message naming it, nothing stored', async () => {
  const cases: [string[], RegExp][] = [
    [['add', '-type=weekly'], /type "weekly" is invalid; expected timer or ticker/],
    [['add', '-time=abc'], /time "abc" is invalid/],
    [['add', '-time=0'], /time "0" is invalid/],
    [['add', '-time=-5'], /time "-5" is invalid/],
    [['add', '-time=1.5'], /time "1.5" is invalid/],
    [['add', '-time=1000000000'], /unix timestamp in the past/],
    [['add', '-time=99999999999'], /more than 100 days ahead/],
    [['add', '-type=ticker', `-time=${Math.floor(Date.now() / 1000) + 60}`], /invalid for a ticker/],
    [['add', '-limit=-1'], /limit "-1" is invalid/],
    [['add', '-limit=x'], /limit "x" is invalid/],
    [['add', '-limit=2'], /limit 2 is invalid for a timer/],
    [['add', '-command='], /command is empty/],
    [['add', `-command=${'x'.repeat(5000)}`], /5000 characters long; at most 4096/],
    [['add', '-command=http://[oops'], /looks like a URL but is not a valid one/],
    [['add', '-command=http://h/?kt_post=notjson'], /kt_post/],
    [['get', 'nonsense'], /kid "nonsense" is invalid/],
    [['get'], /kid is missing/],
    [['del', '-kid=123'], /kid "123" is invalid/],
    [['update', 'f'.repeat(32)], /nothing to update/],
    [['update', 'f'.repeat(32), '-time=x'], /time "x" is invalid/],
    [['update', '-time=5'], /kid is missing/],
    [['list', '-starttime=yesterday'], /starttime "yesterday" is invalid/],
    [['list', '-starttime=20', '-endtime=10'], /starttime 20 is after endtime 10/],
    [['list', '-count=0'], /count "0" is invalid/],
    [['list', '-count=5000'], /count 5000 is invalid/],
    [['list', '-offset=-1'], /offset "-1" is invalid/],
  ];
  for (const [args, pattern] of cases) {
    oneLineError(await kt(...args), 2, pattern);
    assert.equal(await stored(), 0, `${args.join(' ')} stored something`);
  }
});

test('Redis unreachable: exit 1 with a clear line within a few seconds', async () => {
  const closed = writeTestConfig({ redisPort: await freePort() });
  const started = Date.now();
  const res = await runCli(['count', '--config', closed]);
  assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
  oneLineError(res, 1, /Redis 127\.0\.0\.1:\d+ db 0 failed: .*ECONNREFUSED.*check \[redis\] in .*conf\.ini/);
  // Bad input is still a usage error first, before any connection.
  oneLineError(await runCli(['add', '-time=x', '--config', closed]), 2, /time "x"/);
});

test('Redis frozen (SIGSTOP): the command fails within seconds instead of hanging', async () => {
  redis.server.pause();
  try {
    const started = Date.now();
    const res = await kt('count');
    assert.ok(Date.now() - started < 12_000, `took ${Date.now() - started} ms`);
    oneLineError(res, 1, /Redis .* failed/);
  } finally {
    redis.server.resume();
  }
  assert.equal((await kt('count')).code, 0);
});

test('a bad conf.ini: exit 1 naming file and key; KTIMER_DEBUG shows the stack', async () => {
  const bad = writeTestConfig({ redisPort: redis.server.port, extra: { default: ['task_max_num = many'] } });
  const res = await runCli(['count', '--config', bad]);
  oneLineError(
    res,
    1,
    new RegExp(`${bad.replace(/[.]/g, '\\.')}: \\[default\\] task_max_num = "many" is invalid`),
  );
  const debug = await runCli(['count', '--config', bad], { env: { KTIMER_DEBUG: '1' } });
  assert.match(debug.stderr, /\n\s+at /);
});
