// How a task runs, in both spawners (native and Node), with real processes: stdout and stderr
// kept apart and bounded with a cut marker, the live tail in batches, the working directory, the
// environment (docs/running-tasks.md), and -user as root: the user's ids, groups and variables,
// and the reasons a run fails without running (an unknown user, a daemon that is not root).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LIVE_INTERVAL_MS } from '../../src/runner/live-output.js';
import { boundedText } from '../../src/runner/output-capture.js';
import type { FireRequest, OutputChunk } from '../../src/runner/runner-result.js';
import { chooseSpawner, ShellPool, type SpawnerKind } from '../../src/runner/shell-pool.js';
import { nativeSkip } from '../helpers/native-spawner.js';
import { startDriver } from '../helpers/pool-driver-client.js';

const req = (command: string, more: Partial<FireRequest> = {}): FireRequest => ({
  kid: 'k'.repeat(32),
  command,
  dueMs: 1_800_000_000_000,
  timeoutMs: 0,
  ...more,
});

const dir = mkdtempSync(join(tmpdir(), 'kt-run-options-'));
// Anyone may write here: a command run as another user than asked could leave its marker.
chmodSync(dir, 0o777);
after(() => rmSync(dir, { recursive: true, force: true }));

const root = process.geteuid?.() === 0;
const rootSkip = root ? false : 'needs root (CI runs as root)';

/** A user of this machine with supplementary groups, if it has one (to see initgroups at work). */
function userWithGroups(): string | null {
  for (const line of execFileSync('getent', ['group']).toString().split('\n')) {
    const member = line.split(':')[3]?.split(',')[0];
    if (member && member !== 'root') return member;
  }
  return null;
}

for (const kind of ['native', 'node'] as SpawnerKind[]) {
  describe(`${kind} spawner`, { skip: kind === 'native' && nativeSkip }, () => {
    const spawner = chooseSpawner({ KTIMER_SPAWNER: kind });
    process.env.KTIMER_TEST_INTERNAL = 'daemon only';
    const pool = new ShellPool({ spawner, env: { KTIMER_CONFIG: '/etc/ktimer/conf.ini', EVERY: 'task' } });
    delete process.env.KTIMER_TEST_INTERNAL;
    after(() => pool.close());
    const run = (command: string, more: Partial<FireRequest> = {}) => pool.run(req(command, more)).result;

    test('stdout and stderr apart; each bounded: its first and last halves around one marker line', async () => {
      const r = await run(
        "head -c 6000 /dev/zero | tr '\\0' a; echo MID; head -c 6000 /dev/zero | tr '\\0' b; echo oops >&2",
        {
          outputMax: 1000,
        },
      );
      assert.equal(r.stderr, 'oops\n');
      assert.equal(r.stdout, `${'a'.repeat(500)}\n[ktimer: 11004 bytes cut]\n${'b'.repeat(500)}`);
      assert.match(r.output, /b{100}oops\n$/, 'output: the tail of stdout then stderr');
      // Many small writes wrap the kept tail around: it must still come out in order.
      const lines = await run('for i in $(seq 1 3000); do echo $i; done', { outputMax: 101 });
      const all = Buffer.from(Array.from({ length: 3000 }, (_, i) => `${i + 1}\n`).join(''));
      assert.equal(lines.stdout, boundedText(all.subarray(0, 50), all.subarray(all.length - 51), all.length));
      const whole = await run('printf "%s\\n" one two; printf err >&2', { outputMax: 8 });
      assert.deepEqual([whole.stdout, whole.stderr], ['one\ntwo\n', 'err'], 'nothing cut: no marker');
    });

    test('a character cut by the bound is dropped whole and counted', async () => {
      const r = await run('for i in $(seq 1000); do printf é; done', { outputMax: 101 });
      assert.equal(r.stdout, `${'é'.repeat(25)}\n[ktimer: 1900 bytes cut]\n${'é'.repeat(25)}`);
    });

    test('the live tail: output as it is printed, per stream, in batches', async () => {
      const chunks: (OutputChunk & { atMs: number })[] = [];
      const started = Date.now();
      const task = pool.run(req('echo one; sleep 0.6; echo two >&2; sleep 0.6; echo three'), (c) =>
        chunks.push({ ...c, atMs: Date.now() - started }),
      );
      const r = await task.result;
      const ended = Date.now() - started;
      const first = chunks.find((c) => c.text === 'one\n');
      assert.ok(
        first && first.atMs < ended - 800,
        `'one' came live: ${JSON.stringify(chunks)}, ended ${ended}`,
      );
      const text = (stream: string) =>
        chunks
          .filter((c) => c.stream === stream)
          .map((c) => c.text)
          .join('');
      assert.equal(text('stdout'), r.stdout);
      assert.equal(text('stderr'), 'two\n');
      // A chatty command: a few batches, not one message per line.
      const batches: OutputChunk[] = [];
      const t0 = Date.now();
      const chatty = await pool.run(req('for i in $(seq 30000); do echo "line $i"; done'), (c) =>
        batches.push(c),
      ).result;
      const most = Math.ceil((Date.now() - t0) / LIVE_INTERVAL_MS) * 2 + 2;
      assert.ok(batches.length <= most, `${batches.length} batches in ${Date.now() - t0} ms`);
      const printed = batches.reduce((n, c) => n + Buffer.byteLength(c.text) + c.droppedBytes, 0);
      assert.equal(
        printed,
        Buffer.byteLength(Array.from({ length: 30000 }, (_, i) => `line ${i + 1}\n`).join('')),
      );
      assert.equal(chatty.exitCode, 0);
    });

    test('cwd: the command runs there; a missing one fails the run with that reason, nothing run', async () => {
      assert.equal((await run('pwd', { cwd: dir })).stdout, `${dir}\n`);
      const marker = join(dir, `not-run-${kind}`);
      const missing = await run(`touch ${marker}`, { cwd: `${dir}/nope` });
      assert.equal(missing.ok, false);
      assert.equal(missing.error, `cwd ${dir}/nope: No such file or directory`);
      assert.equal(missing.exitCode, null);
      assert.equal((await run('pwd', { cwd: 'relative' })).error, 'cwd "relative" is not an absolute path');
      assert.equal(existsSync(marker), false);
    });

    test("the environment: the daemon's less KTIMER_*, the pool's, -env over them, the run's own last", async () => {
      const r = await run(
        'echo "$KTIMER_TEST_INTERNAL|$KTIMER_CONFIG|$EVERY|$A|$KTIMER_KID|$KTIMER_FIRE_ID|$KTIMER_NAME|$KTIMER_DUE"; [ "$PATH" = "$DAEMON_PATH" ] && echo same PATH',
        {
          env: { A: 'x y=z', EVERY: 'mine', KTIMER_KID: 'forged', DAEMON_PATH: process.env.PATH ?? '' },
          fireId: 'kid1:7',
          name: 'backup',
        },
      );
      assert.equal(
        r.stdout,
        `|/etc/ktimer/conf.ini|mine|x y=z|${'k'.repeat(32)}|kid1:7|backup|1800000000.000\nsame PATH\n`,
      );
      const bad = await run('true', { env: { 'A-B': '1' } });
      assert.equal(bad.error, 'env: "A-B" is not a variable name (letters, digits, _)');
    });

    test(
      "-user as root: the user's uid, groups, HOME, USER, LOGNAME and SHELL; home as cwd (or /)",
      { skip: rootSkip },
      async () => {
        const show = 'id -u; id -g; id -G; echo "$HOME|$USER|$LOGNAME|$SHELL"; pwd';
        const r = await run(show, { user: 'nobody' });
        assert.equal(r.error, null, r.stderr);
        const [uid, gid, groups, vars, cwd] = r.stdout.split('\n');
        assert.equal(uid, execFileSync('id', ['-u', 'nobody']).toString().trim());
        assert.equal(gid, execFileSync('id', ['-g', 'nobody']).toString().trim());
        assert.equal(
          groups,
          execFileSync('id', ['-G', 'nobody']).toString().trim(),
          "nobody's groups, none of root's",
        );
        const [, , , , , home, shell] = execFileSync('getent', ['passwd', 'nobody'])
          .toString()
          .trim()
          .split(':');
        assert.equal(vars, `${home}|nobody|nobody|${shell}`);
        assert.equal(cwd, existsSync(home ?? '') ? home : '/');
        const member = userWithGroups();
        if (member) {
          const m = await run('id -G', { user: member });
          assert.equal(
            m.stdout.trim(),
            execFileSync('id', ['-G', member]).toString().trim(),
            `${member}'s groups`,
          );
        }
        // -env still wins over the user's variables; an explicit cwd over the home.
        const own = await run('echo "$HOME"; pwd', { user: 'nobody', env: { HOME: '/tmp' }, cwd: '/' });
        assert.equal(own.stdout, '/tmp\n/\n');
      },
    );

    test('-user: a user this machine does not know fails the run with that reason, nothing run', async () => {
      const marker = join(dir, `unknown-user-${kind}`);
      const r = await run(`touch ${marker}`, { user: 'no-such-user-kt' });
      assert.equal(r.ok, false);
      assert.equal(r.error, 'user no-such-user-kt is not known on this machine');
      assert.equal(existsSync(marker), false);
    });

    test(
      '-user: a daemon running as nobody asked for another user fails the run, nothing run',
      { skip: rootSkip },
      async () => {
        const marker = join(dir, `as-daemon-${kind}`);
        const nobody = Number(execFileSync('id', ['-u', 'nobody']).toString());
        const driver = startDriver(kind, 'keep', req(`touch ${marker}`, { user: 'daemon' }), {
          uid: nobody,
          gid: Number(execFileSync('id', ['-g', 'nobody']).toString()),
        });
        const r = await driver.result(30_000);
        assert.equal(r.ok, false);
        assert.equal(
          r.error,
          `the daemon runs as uid ${nobody}, not root: it cannot run a command as daemon`,
        );
        assert.equal(existsSync(marker), false);
        await driver.exited;
      },
    );
  });
}
