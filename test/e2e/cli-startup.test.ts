// bin/ktimer loads the bundle through a V8 code cache kept beside it: written by a first run,
// upgraded by the first run that reaches Redis, replaced when it belongs to another build or is
// damaged, and never a reason for a command to fail. Runs on a copy of bin/ and dist/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
let install: string;
let config: string;

before(async () => {
  await redis.ready();
  install = mkdtempSync(join(tmpdir(), 'ktimer-install-'));
  cpSync(join(ROOT, 'bin'), join(install, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist'), join(install, 'dist'), { recursive: true });
  rmSync(join(install, 'dist', 'bundle', 'main.cjs.cache'), { force: true });
  config = writeTestConfig({ redisPort: redis.server.port });
});
after(() => {
  rmSync(install, { recursive: true, force: true });
});

const cacheFile = () => join(install, 'dist', 'bundle', 'main.cjs.cache');
const header = () => readFileSync(cacheFile()).subarray(0, 80).toString().split('\n')[0];
const kt = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(install, 'bin', 'ktimer'), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('a first run writes the cache; the first run that reaches Redis writes it again', () => {
  assert.equal(kt(['version']).code, 0);
  assert.match(header() ?? '', /^0 \d+:[\d.]+$/);
  const small = readFileSync(cacheFile()).length;
  assert.equal(kt(['version']).code, 0);
  assert.match(header() ?? '', /^0 /, 'a run that did not reach Redis keeps it');
  const count = kt(['count', '--config', config]);
  assert.equal(count.code, 0, count.stderr);
  assert.match(header() ?? '', /^1 /);
  assert.ok(readFileSync(cacheFile()).length > small, 'it holds the Redis client code too');
});

test('a damaged cache, or one of another build, is replaced and the command still works', () => {
  const stamp = (header() ?? '').split(' ')[1];
  writeFileSync(cacheFile(), Buffer.concat([Buffer.from(`1 ${stamp}\n`), Buffer.alloc(5000, 7)]));
  const damaged = kt(['count', '--config', config]);
  assert.equal(damaged.code, 0, damaged.stderr);
  assert.match(damaged.stdout, /there are \[0\] tasks\./);
  assert.ok(readFileSync(cacheFile()).length > 10_000, 'rewritten');

  const bundle = join(install, 'dist', 'bundle', 'main.cjs');
  utimesSync(bundle, new Date(), new Date(Date.now() + 5000));
  assert.equal(kt(['version']).code, 0);
  assert.notEqual((header() ?? '').split(' ')[1], stamp, 'made from the new build');
});

test('a missing build is one clear line, exit 1', () => {
  rmSync(join(install, 'dist'), { recursive: true, force: true });
  const r = kt(['version']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ktimer: error: .*main\.cjs is missing; run `npm ci` \(or `npm run build`\)/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.equal(existsSync(join(install, 'dist')), false);
});

test('a one-shot command loads only the built-in modules it uses (start-up time, bench/add.ts)', () => {
  // What Node loaded, written as the command exits: a preload, so nothing of ktimer changes.
  const listFile = join(install, 'modules.txt');
  const preload = join(install, 'module-list.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(listFile)}, process.moduleLoadList.join('\\n')));\n`,
  );
  cpSync(join(ROOT, 'dist'), join(install, 'dist'), { recursive: true }); // the test before removed it
  for (const args of [['add', '-time=600', '-command=true'], ['count']]) {
    const r = spawnSync(
      process.execPath,
      ['-r', preload, join(install, 'bin', 'ktimer'), ...args, '--config', config],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const loaded = readFileSync(listFile, 'utf8').split('\n');
    // commander's executable subcommands (child_process, and dgram with it), ioredis' TLS,
    // redis-errors' asserts, fs/promises for ioredis' CLIENT SETINFO: none is used here.
    for (const unused of ['child_process', 'dgram', 'tls', 'assert', 'internal/fs/promises']) {
      assert.ok(!loaded.includes(`NativeModule ${unused}`), `${args[0]} loaded ${unused}`);
    }
  }
});
