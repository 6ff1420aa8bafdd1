// Every change a command makes gets its runed.log line, written by the service (TaskService's
// onChange is required, and the command line's context always gives it): no command has to
// remember it. Each change command below, run as a user runs it, leaves exactly its lines.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, test } from 'node:test';
import { readLogLines, runCli, writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { CliContext } from '../../src/cli/context.js';

const redis = usePrivateRedis();
let config: string;

before(async () => {
  await redis.ready();
  config = writeTestConfig({ redisPort: redis.server.port });
});

const changes = () =>
  readLogLines(join(dirname(config), 'log', 'runed.log')).map((l) => `${String(l.event)} ${String(l.by)}`);

/** Runs a command; returns the runed.log lines it added. */
async function change(...args: string[]): Promise<string[]> {
  const before = changes().length;
  const res = await runCli([...args, '--config', config]);
  assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
  return changes().slice(before);
}

test('each change command leaves its line in runed.log, by cli; reading commands leave none', async () => {
  assert.deepEqual(await change('add', '-time=600', '-name=a', '-command=true'), ['add cli']);
  const file = join(dirname(config), 'tasks.jsonl');
  writeFileSync(
    file,
    '{"time":600,"command":"true"}\n{"type":"ticker","time":600,"command":"true","name":"b"}\n',
  );
  assert.deepEqual(await change('add', '--file', file), ['add cli', 'add cli']);
  assert.deepEqual(await change('add', '-time=900', '-name=a', '-command=true', '--replace'), ['update cli']);
  assert.deepEqual(await change('update', 'a', '-command=date'), ['update cli']);
  assert.deepEqual(await change('pause', 'a'), ['pause cli']);
  assert.deepEqual(await change('resume', 'a'), ['resume cli']);
  assert.deepEqual(await change('pause', '--all'), ['pause cli']);
  assert.deepEqual(await change('resume', '--all'), ['resume cli']);
  assert.deepEqual(await change('run', 'b'), ['run cli']);
  assert.deepEqual(await change('del', 'b'), ['del cli']);
  for (const read of [['get', 'a'], ['list'], ['count'], ['next', 'a'], ['history', 'a'], ['runs']])
    assert.deepEqual(await change(...read), [], read.join(' '));
  assert.deepEqual(await change('clear', '--yes'), ['clear cli']);
});

test('a command that only calls the service still logs its change: nothing to remember', async () => {
  // What a new command's module does: take the service from its context, change, close.
  const ctx = new CliContext({ config });
  const { task } = await (await ctx.service()).add({ time: '600', command: 'true' });
  await (await ctx.service()).pauses.pause([task.kid]);
  await ctx.close();
  const lines = readLogLines(join(dirname(config), 'log', 'runed.log')).filter(
    (l) => l.kid === task.kid || (Array.isArray(l.kids) && l.kids.includes(task.kid)),
  );
  assert.deepEqual(
    lines.map((l) => l.event),
    ['add', 'pause'],
  );
});
