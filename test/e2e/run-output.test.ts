// How a task runs and what it printed, end to end (issue 24 items 2 and 3): a real daemon runs each
// task in its -cwd, with its -env over [task] env_file, as its -user; keeps stdout and stderr apart,
// each within -output_max or [task] output_max, marked where cut; `output --stdout/--stderr`; a run
// that cannot be run as its user fails with the reason on record; `output --follow` prints a run's
// output as it is printed and exits with its result; the web API's output_live is the same feed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli, writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { useWebDaemon } from '../helpers/web-daemon.js';

const redis = usePrivateRedis();
const files = mkdtempSync(join(tmpdir(), 'ktimer-run-output-'));
chmodSync(files, 0o755);
writeFileSync(join(files, 'tasks.env'), 'FROM_FILE="for every task"\nSHARED=file\n');
const web = useWebDaemon(redis, 'output-pass', {
  task: [`env_file = ${join(files, 'tasks.env')}`, 'output_max = 2k'],
});

interface RunJson {
  fire_id: string;
  ok: boolean;
  result: string;
  error?: string;
  stdout?: string;
  stderr?: string;
  output?: string;
}

const cli = (args: string[]) => web.daemon.cli(args);

/** Adds a task, runs it by hand and waits for its record: its fire id and record. */
async function runOnce(args: string[]): Promise<RunJson> {
  const kid = await web.daemon.add(['-time=3600', ...args]);
  const res = await cli(['run', kid, '--wait', '--json']);
  return (JSON.parse(res.stdout) as { run: RunJson }).run;
}

test('a task runs in its -cwd, with its -env over [task] env_file, named in $KTIMER_NAME', async () => {
  const run = await runOnce([
    '-name=where-and-what',
    `-cwd=${files}`,
    '-env=SHARED=task',
    '-env=OWN=its own',
    '-command=echo "$PWD|$FROM_FILE|$SHARED|$OWN|$KTIMER_NAME|$KTIMER_FIRE_ID"',
  ]);
  assert.equal(run.ok, true, run.error);
  assert.equal(run.stdout, `${files}|for every task|task|its own|where-and-what|${run.fire_id}\n`);
});

test('stdout and stderr are kept apart: output prints both, --stdout and --stderr one', async () => {
  const run = await runOnce(['-command=echo to-out; echo to-err >&2; echo more-out']);
  assert.deepEqual([run.stdout, run.stderr], ['to-out\nmore-out\n', 'to-err\n']);
  const both = await cli(['output', run.fire_id]);
  assert.equal(both.stdout, 'to-out\nmore-out\nto-err\n');
  assert.equal((await cli(['output', run.fire_id, '--stdout'])).stdout, 'to-out\nmore-out\n');
  assert.equal((await cli(['output', run.fire_id, '--stderr'])).stdout, 'to-err\n');
});

test('each stream is kept within -output_max, or [task] output_max: its first and last halves, marked', async () => {
  const own = await runOnce([
    '-output_max=1k',
    '-command=head -c 5000 /dev/zero | tr "\\0" a; echo; echo e >&2',
  ]);
  assert.match(own.stdout ?? '', /^a{512}\n\[ktimer: 3977 bytes cut\]\na{511}\n$/);
  assert.equal(own.stderr, 'e\n');
  const dflt = await runOnce(['-command=head -c 5000 /dev/zero | tr "\\0" b']);
  assert.match(dflt.stdout ?? '', /^b{1024}\n\[ktimer: 2952 bytes cut\]\nb{1024}$/);
});

test("a -user unknown on the daemon's machine fails the run, the reason on record", async () => {
  // Added on a machine that knows the user: here it is stored as that machine stored it.
  const kid = await web.daemon.add(['-time=3600', '-command=touch should-not-exist']);
  const pool = /task_pool_key = (\S+)/.exec(readFileSync(web.daemon.config, 'utf8'))?.[1] ?? '';
  const task = JSON.parse((await redis.client.hget(pool, kid)) ?? '{}') as Record<string, unknown>;
  await redis.client.hset(pool, kid, JSON.stringify({ ...task, user: 'ktimer-no-such-user', cwd: files }));
  const res = await cli(['run', kid, '--wait', '--json']);
  const { run } = JSON.parse(res.stdout) as { run: RunJson };
  assert.equal(res.code, 1);
  assert.equal(run.result, 'failed');
  assert.equal(run.error, 'user ktimer-no-such-user is not known on this machine');
  assert.ok(!readdirSync(files).includes('should-not-exist'), 'the command never ran');
  const history = await cli(['history', kid]);
  assert.match(history.stdout, /user ktimer-no-such-user is not known on this machine/);
});

test('a daemon running as root runs a -user task as that user', async () => {
  const run = await runOnce(['-user=nobody', '-command=id -un; echo "$HOME|$USER"']);
  assert.equal(run.ok, true, run.error);
  assert.match(run.stdout ?? '', /^nobody\n.*\|nobody\n$/);
});

/** A daemon running as nobody (not root), on its own keys: started and stopped by the test. */
async function startAsNobody(): Promise<{ config: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-nobody-'));
  const config = writeTestConfig({ dir, redisPort: redis.server.port });
  for (const path of [dir, config]) chownSync(path, 65534, 65534);
  const child = spawn(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      process.execPath,
      join('bin', 'ktimer'),
      'start',
      '-d',
      '--config',
      config,
    ],
    { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const pid = await waitFor(() => Number(/ktimer started \[(\d+)\]/.exec(out)?.[1] ?? 0), {
    what: `the daemon as nobody (${out})`,
  });
  return { config, stop: () => process.kill(pid, 'SIGKILL') };
}

test('a daemon not running as root, asked for another user, fails the run, the reason on record', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root, to start a daemon as nobody');
    return;
  }
  const nobody = await startAsNobody();
  after(() => nobody.stop());
  const add = await runCli(['add', '-time=3600', '-user=root', '-command=id -un', '--config', nobody.config]);
  const kid = /newkid:\[([0-9a-f]{32})\]/.exec(add.stdout)?.[1] ?? '';
  const res = await runCli(['run', kid, '--wait', '--json', '--config', nobody.config]);
  const { run } = JSON.parse(res.stdout) as { run: RunJson };
  assert.equal(run.result, 'failed');
  assert.equal(run.error, 'the daemon runs as uid 65534, not root: it cannot run a command as root');
  assert.equal(run.stdout, undefined, 'the command never ran');
});

/** `ktimer output FIRE --follow`, its stdout and stderr as they come, and its exit. */
function followOutput(fireId: string) {
  const child = spawn(
    process.execPath,
    ['bin/ktimer', 'output', fireId, '--follow', '--config', web.daemon.config],
    {
      cwd: join(import.meta.dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const seen = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    seen.stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    seen.stderr += d;
  });
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { seen, exit, child };
}

test('output --follow prints a run as it prints, from another process, and exits with its result', async () => {
  const gate = join(files, 'gate');
  const kid = await web.daemon.add([
    '-time=3600',
    `-command=echo first; echo warn >&2; while [ ! -e ${gate} ]; do sleep 0.05; done; echo last; exit 3`,
  ]);
  const fireId = JSON.parse((await cli(['run', kid, '--json'])).stdout).fire_id as string;
  const follower = followOutput(fireId);
  after(() => follower.child.kill('SIGKILL'));
  // Its first lines arrive while it still runs (it waits for the gate).
  await waitFor(() => follower.seen.stdout === 'first\n' && follower.seen.stderr === 'warn\n', {
    what: `the first lines, live (${JSON.stringify(follower.seen)})`,
  });
  assert.equal((await cli(['history', kid, '--json'])).stdout.includes(fireId), false, 'not on record yet');
  writeFileSync(gate, '');
  assert.equal(await follower.exit, 1, 'exit 1: the run failed');
  assert.equal(follower.seen.stdout, 'first\nlast\n');
  assert.equal(follower.seen.stderr, `warn\nktimer: run ${fireId}: exit 3\n`);
});

test('output --follow of a run that has ended prints its output and result at once', async () => {
  const run = await runOnce(['-command=echo done; echo note >&2']);
  const follower = followOutput(run.fire_id);
  assert.equal(await follower.exit, 0);
  assert.deepEqual(follower.seen, { stdout: 'done\n', stderr: `note\nktimer: run ${run.fire_id}: ok\n` });
});

test('the web API: output_live pages a running run, then gives its record', async () => {
  const gate = join(files, 'gate-web');
  const kid = await web.daemon.add([
    '-time=3600',
    `-command=echo one; while [ ! -e ${gate} ]; do sleep 0.05; done; echo two`,
  ]);
  const fireId = JSON.parse((await cli(['run', kid, '--json'])).stdout).fire_id as string;
  type Page = {
    data: { state: string; next: string; chunks: { stream: string; text: string }[]; record: RunJson | null };
  };
  const page = async (after: string) =>
    (await web.api<Page>({ action: 'output_live', fire_id: fireId, after })).body;
  const first = await waitFor(
    async () => {
      const p = await page('');
      assert.ok(p.data, JSON.stringify(p));
      return p.data.chunks.length > 0 ? p : null;
    },
    { what: 'the first chunk' },
  );
  assert.equal(first.data.state, 'running');
  assert.deepEqual(first.data.chunks, [{ stream: 'stdout', text: 'one\n', dropped_bytes: 0 }]);
  writeFileSync(gate, '');
  const last = await waitFor(
    async () => {
      const p = await page(first.data.next);
      return p.data.record ? p : null;
    },
    { what: 'the record' },
  );
  assert.equal(last.data.state, 'ended');
  assert.equal(last.data.record?.stdout, 'one\ntwo\n');
  const bad = await web.api<{ msg: string }>({ action: 'output_live', fire_id: fireId, after: 'x' });
  assert.equal(bad.http, 400);
});
