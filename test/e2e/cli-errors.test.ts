// Bad input, end to end: exit 2, one line on stderr (and with --json a document on stdout), no
// stack trace, nothing stored. Redis away: exit 1, clearly, within seconds. A closed stdout.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { BIN, type CliResult, runCli, taskKeys, writeTestConfig } from '../helpers/cli.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
let config: string;
const PREFIX = 'errs';

before(async () => {
  await redis.ready();
  config = writeTestConfig({ redisPort: redis.server.port, prefix: PREFIX });
});

const kt = (...args: string[]) => runCli([...args, '--config', config]);

function oneLineError(res: CliResult, code: number, pattern: RegExp, why?: string): void {
  assert.equal(res.code, code, `exit ${res.code}: ${res.stderr} ${why ?? ''}`);
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
  oneLineError(await kt('bogus'), 2, /unknown command 'bogus'; see `ktimer help`$/);
  oneLineError(await kt('add', '-bogus=1'), 2, /unknown option '--bogus=1'; see `ktimer help`$/);
  oneLineError(await kt('add', '--tim=5'), 2, /Did you mean --time\b/);
  oneLineError(await kt('add', '--time'), 2, /argument missing/);
  oneLineError(await runCli([]), 2, /no command given; see `ktimer help`/);
});

test('help of an unknown command is a usage error with a suggestion, as the command itself is', async () => {
  oneLineError(
    await runCli(['help', 'nosuchcmd']),
    2,
    /^ktimer: error: unknown command 'nosuchcmd'; see `ktimer help`$/,
  );
  oneLineError(
    await runCli(['help', 'stat']),
    2,
    /unknown command 'stat' \(Did you mean status or start\?\)/,
  );
  const general = await runCli(['help']);
  assert.equal(general.code, 0);
  // What ktimer is, first: cron among the schedules.
  assert.match(
    general.stdout,
    /^Usage: ktimer \[options\] \[command\]\n\nktimer: one-shot timers, repeating tickers and cron schedules/,
  );
  assert.match(general.stdout, /\n {2}help \[command\] +show the help of ktimer, or of one command/);
  const one = await runCli(['help', 'next']);
  assert.equal(one.code, 0);
  assert.match(one.stdout, /^Usage: ktimer next \[options\] \[kid\]/);
});

test('suggestions: a command the word begins, and slips in an option name whatever its value', async () => {
  oneLineError(
    await kt('stat'),
    2,
    /unknown command 'stat' \(Did you mean status or start\?\); see `ktimer help`$/,
  );
  oneLineError(await kt('statsu'), 2, /\(Did you mean status\?\)/);
  oneLineError(
    await kt('add', '-comand=echo hi'),
    2,
    /unknown option '--comand=echo hi' \(Did you mean --command\?\)/,
  );
  oneLineError(await kt('add', '-limt=3'), 2, /\(Did you mean --limit\?\)/);
  oneLineError(await kt('list', '--ofset', '3'), 2, /\(Did you mean --offset\?\)/);
  assert.equal(await stored(), 0);
});

test('an unquoted command (stray words right after a one-word -command) is refused; nothing stored', async () => {
  const res = await kt('add', '-command=echo', 'hi', 'there', '-time=3600');
  oneLineError(
    res,
    2,
    /stray words after -command \("hi" "there"\); quote the command: -command="echo hi there"$/,
  );
  oneLineError(await kt('add', '--command', 'echo', 'hi'), 2, /quote the command: -command="echo hi"$/);
  oneLineError(
    await kt('update', 'f'.repeat(32), '-command=ls', '-la'),
    2,
    /unknown option '--la'/,
    'an option after it is an option',
  );
  assert.equal(await stored(), 0);
});

test('an unquoted -cron whose * the shell turned into file names: quote the expression; nothing stored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-glob-'));
  for (const name of ['notes.txt', 'run.sh']) writeFileSync(join(dir, name), '');
  // As typed at a prompt: bash expands each * of the expression into the directory's files.
  const line = `"${process.execPath}" "${BIN}" add -type=cron -cron=*/5 * * * * -command=true --config ${config}`;
  const res = spawnSync('bash', ['-c', line], { cwd: dir, encoding: 'utf8' });
  oneLineError(
    { code: res.status, signal: null, stdout: res.stdout, stderr: res.stderr },
    2,
    /-cron "\*\/5" has 1 field and words follow it; the shell put file names in it \("notes\.txt", "run\.sh", "notes\.txt", \.\.\.\): each \* of an unquoted expression; quote the expression: -cron="\*\/5 \* \* \* \*"$/,
  );
  // The same words where no file matched (an empty directory): still the quoting hint.
  oneLineError(
    await kt('add', '-type=cron', '-cron=0', '30', '3', '*', '*', '*'),
    2,
    /-cron "0" has 1 field and words follow it; quote the expression/,
  );
  assert.equal(await stored(), 0);
});

test('a forgotten -command: the default of conf.ini is used, and said on stderr', async () => {
  const res = await kt('add', '-time=600');
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^operating result:\[true\] newkid:\[\w+\]\n$/);
  assert.equal(
    res.stderr,
    `ktimer: warning: no -command given: it runs [task] default_timer: "echo -e Hello Ktimer" (from ${config})\n`,
  );
  const ticker = await kt('add', '-type=ticker', '-time=600');
  assert.match(ticker.stderr, /no -command given: it runs \[task\] default_ticker: "date --rfc-3339=ns"/);
  assert.equal((await kt('add', '-time=600', '-command=true')).stderr, '', 'given: nothing said');
  const file = join(mkdtempSync(join(tmpdir(), 'ktimer-file-')), 'tasks.jsonl');
  writeFileSync(file, '{"time":600,"command":"true"}\n{"time":600}\n');
  const bulk = await kt('add', '--file', file);
  assert.match(
    bulk.stderr,
    /no -command given: 1 task\(s\) \(\S+tasks\.jsonl: line 2\) run \[task\] default_timer or default_ticker/,
  );
  await kt('clear', '--yes');
});

test('--json on failure: {"ok":false,"code","error"} on stdout, the same one line on stderr', async () => {
  const cases: [string[], number, string][] = [
    [['add', '-time=abc', '--json'], 2, 'usage'],
    [['--json', 'bogus'], 2, 'usage'],
    [['get', 'f'.repeat(32), '--json'], 1, 'not_found'],
    [['count', '--json', '--config', '/nonexistent/k.ini'], 1, 'config'],
  ];
  for (const [args, exitCode, code] of cases) {
    const res = await (args.includes('--config') ? runCli(args) : kt(...args));
    assert.equal(res.code, exitCode, args.join(' '));
    const line = res.stderr.trim();
    assert.equal(line.split('\n').length, 1);
    assert.deepEqual(JSON.parse(res.stdout), {
      ok: false,
      code,
      error: line.replace(/^ktimer: error: /, ''),
    });
  }
  const closed = writeTestConfig({ redisPort: await freePort() });
  const down = JSON.parse((await runCli(['count', '--json', '--config', closed])).stdout);
  assert.equal(down.code, 'redis');
});

test('output to a closed pipe (`ktimer help | head -1`) ends quietly, exit 0', async () => {
  // Once in five, before: a 25-line EPIPE stack trace and exit 1. `true` closes at once.
  // 50 pipes, 5 at a time (the test's time, not its reach, was the cost).
  const script = `for i in $(seq 1 5); do
    for j in 1 2 3 4 5; do
      { "${process.execPath}" "${BIN}" help 2>>"$ERR" | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"; } &
      { "${process.execPath}" "${BIN}" help 2>>"$ERR" | true; echo "\${PIPESTATUS[0]}"; } &
    done
    wait
  done`;
  const err = join(mkdtempSync(join(tmpdir(), 'ktimer-pipe-')), 'stderr');
  const res = spawnSync('bash', ['-c', script], { env: { ...process.env, ERR: err }, encoding: 'utf8' });
  assert.deepEqual([...new Set(res.stdout.trim().split('\n'))], ['0']);
  assert.equal(readFileSync(err, 'utf8'), '');
});

test('every bad task value: exit 2, a message naming it, nothing stored', async () => {
  const cases: [string[], RegExp][] = [
    [['add', '-type=weekly'], /type "weekly" is invalid; expected timer, ticker, cron/],
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
    [['get', 'non$ense'], /kid "non\$ense" is invalid/],
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
  oneLineError(
    res,
    1,
    /cannot reach Redis at 127\.0\.0\.1:\d+: ECONNREFUSED; check \[redis\] in .*conf\.ini/,
  );
  // Bad input is still a usage error first, before any connection.
  oneLineError(await runCli(['add', '-time=x', '--config', closed]), 2, /time "x"/);
});

test("redis.db beyond the server's databases: exit 1 naming redis.db; nothing stored in db 0", async () => {
  const beyond = writeTestConfig({
    redisPort: redis.server.port,
    prefix: 'db99',
    extra: { redis: ['redis.db = 99'] },
  });
  oneLineError(
    await runCli(['add', '-time=3600', '-command=true', '--config', beyond]),
    1,
    /Redis 127\.0\.0\.1:\d+ db 99 failed: ERR DB index is out of range; check redis\.db in .*conf\.ini/,
  );
  assert.equal(await redis.client.exists(taskKeys('db99').pool), 0);
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
