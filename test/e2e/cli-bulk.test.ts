// ktimer add --file: JSON lines from a file or stdin, same rules as add, bad lines reported
// with their numbers and nothing stored, atomic batches within task_max_num.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prefixedConfig, runCli, type TestConfigOptions } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();

function setup(extra?: TestConfigOptions['extra']) {
  const { config, pool } = prefixedConfig(redis.server.port, extra);
  return {
    config,
    pool,
    file: (name: string, text: string) => {
      const path = join(config, '..', name);
      writeFileSync(path, text);
      return path;
    },
    kt: (args: string[], input?: string) => runCli([...args, '--config', config], { input }),
  };
}

test('2,500 tasks from a file, each stored as `add` stores it', async () => {
  const { kt, file, pool } = setup();
  const lines = Array.from({ length: 2500 }, (_, i) =>
    JSON.stringify(
      i % 2 ? { type: 'ticker', time: 60, limit: 3, command: `echo ${i}` } : { time: '120', command: 'date' },
    ),
  );
  const res = await kt(['add', '--file', file('t.jsonl', `${lines.join('\n')}\n`)]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'operating result:[true] added:[2500]\n');
  assert.equal(await redis.client.hlen(pool), 2500);
  const json = await kt(['add', '--file', file('one.jsonl', '{"type":"ticker","time":7}\n'), '--json']);
  const kid = JSON.parse(json.stdout).kids[0];
  const task = JSON.parse((await redis.client.hget(pool, kid)) ?? '');
  assert.deepEqual([task.type, task.time, task.limit, task.command], ['ticker', 7, 0, 'date --rfc-3339=ns']);
});

test('stdin with -', async () => {
  const { kt, pool } = setup();
  const res = await kt(['add', '--file', '-'], '{"time":30,"command":"true"}\n\n# a comment\n{"time":31}\n');
  assert.equal(res.code, 0, res.stderr);
  assert.equal(await redis.client.hlen(pool), 2);
});

test('bad lines: each reported with its number, exit 2, nothing stored', async () => {
  const { kt, file, pool } = setup();
  const path = file('bad.jsonl', '{"time":5}\n{"time":"x"}\nnot json\n{"colour":1}\n{"limit":3}\n[1]\n');
  const res = await kt(['add', '--file', path]);
  assert.equal(res.code, 2);
  assert.equal(res.stderr.split('\n').filter(Boolean).length, 1);
  assert.match(res.stderr, /5 bad line\(s\), nothing added/);
  for (const n of [2, 3, 4, 5, 6]) assert.match(res.stderr, new RegExp(`bad\\.jsonl:${n}: `));
  assert.doesNotMatch(res.stderr, /bad\.jsonl:1:/);
  assert.equal(await redis.client.hlen(pool), 0);
  assert.equal((await kt(['add', '--file', '/nonexistent.jsonl'])).code, 2);
  assert.equal((await kt(['add', '--file', file('empty.jsonl', '\n')])).code, 2);
  assert.equal((await kt(['add', '--file', path, '-time=5'])).code, 2);
});

test('batches are all-or-nothing within task_max_num', async () => {
  const { kt, file, pool } = setup({ default: ['task_max_num = 1500'] });
  const lines = Array.from({ length: 1800 }, () => '{"time":60}').join('\n');
  const res = await kt(['add', '--file', file('many.jsonl', lines)]);
  assert.equal(res.code, 1);
  assert.match(
    res.stderr,
    /1000 tasks added, 800 not: the batch of up to 1000 starting at task 1001 was refused, they would pass task_max_num = 1500/,
  );
  assert.equal(await redis.client.hlen(pool), 1000);
});
