// The examples of `ktimer help` work whenever they are run: each `ktimer add`, `list` and `count`
// line among them is run as written, by bash, against a private Redis. (Those of README.md and
// docs/ are run, their output compared, by docs-examples.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ktimerOnPath, runCli, writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
let sandbox: string;
let config: string;

before(async () => {
  await redis.ready();
  sandbox = mkdtempSync(join(tmpdir(), 'ktimer-examples-'));
  config = writeTestConfig({ redisPort: redis.server.port });
  // `ktimer` on the PATH, as after an install; the file `add --file` examples name.
  ktimerOnPath(sandbox);
  writeFileSync(join(sandbox, 'tasks.jsonl'), '{"time":60,"command":"true"}\n');
});

const RUNNABLE = /^(?:\$ )?(ktimer (?:add|list|count)\b.*)$/;

async function helpExamples(): Promise<string[]> {
  const texts = await Promise.all([['help'], ['help', 'add'], ['help', 'list']].map((a) => runCli(a)));
  return texts
    .flatMap((t) => t.stdout.split('\n'))
    .map((l) => l.trim())
    .flatMap((l) => RUNNABLE.exec(l)?.[1] ?? []);
}

function runExample(line: string): { code: number | null; output: string } {
  const res = spawnSync('bash', ['-c', line], {
    cwd: sandbox,
    env: { ...process.env, PATH: `${sandbox}:${process.env.PATH}`, KTIMER_CONFIG: config },
    encoding: 'utf8',
  });
  return { code: res.status, output: res.stdout + res.stderr };
}

test('every add, list and count example of `ktimer help` runs, exit 0', async () => {
  const examples = await helpExamples();
  assert.ok(examples.filter((l) => l.startsWith('ktimer add')).length >= 8, examples.join('\n'));
  for (const line of examples) {
    const res = runExample(line);
    assert.equal(res.code, 0, `${line}\n${res.output}`);
  }
});

test('no example holds a fixed unix timestamp (it would lie in the past one day)', async () => {
  const text = (await Promise.all([['help'], ['help', 'add'], ['help', 'list']].map((a) => runCli(a))))
    .map((r) => r.stdout)
    .join('\n');
  assert.doesNotMatch(text, /(?:time|starttime|endtime)=1\d{9}\b/);
});
