// The examples of README.md and `ktimer help` work whenever they are run: each `ktimer add`,
// `list` and `count` line among them is run as written, by bash, against a private Redis.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { BIN, ROOT, runCli, writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
let sandbox: string;
let config: string;

before(async () => {
  await redis.ready();
  sandbox = mkdtempSync(join(tmpdir(), 'ktimer-examples-'));
  config = writeTestConfig({ redisPort: redis.server.port });
  // `ktimer` on the PATH, as after an install; the file `add --file` examples name.
  writeFileSync(join(sandbox, 'ktimer'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(sandbox, 'ktimer'), 0o755);
  writeFileSync(join(sandbox, 'tasks.jsonl'), '{"time":60,"command":"true"}\n');
});

const RUNNABLE = /^(?:\$ )?(ktimer (?:add|list|count)\b.*)$/;

/** The runnable lines of README's sh blocks, but those shown failing (`ktimer add -time=abc`). */
function readmeExamples(): string[] {
  const blocks = readFileSync(join(ROOT, 'README.md'), 'utf8').match(/```sh\n[\s\S]*?```/g) ?? [];
  const lines = blocks.flatMap((b) => b.split('\n'));
  return lines.flatMap((l, i) =>
    lines[i + 1]?.startsWith('ktimer: error:') ? [] : (RUNNABLE.exec(l)?.[1] ?? []),
  );
}

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

test('every add, list and count example of README.md and `ktimer help` runs, exit 0', async () => {
  const examples = [...readmeExamples(), ...(await helpExamples())];
  assert.ok(examples.filter((l) => l.startsWith('ktimer add')).length >= 8, examples.join('\n'));
  for (const line of examples) {
    const res = runExample(line);
    assert.equal(res.code, 0, `${line}\n${res.output}`);
  }
});

test('no example holds a fixed unix timestamp (it would lie in the past one day)', async () => {
  const text = `${readFileSync(join(ROOT, 'README.md'), 'utf8')}\n${(await runCli(['help'])).stdout}`;
  assert.doesNotMatch(text, /(?:time|starttime|endtime)=1\d{9}\b/);
});
