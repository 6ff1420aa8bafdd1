// The daemon runs shell tasks in spawner processes, native or Node, with the same results as
// runShell in-process: kills reach the process group, a second spawner in a burst, signals
// meant for the daemon's group are ignored, and a spawner that goes away fails its tasks clearly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseSpawner, ShellPool, type SpawnerKind } from '../../src/runner/shell-pool.js';
import { nativeSkip } from '../helpers/native-spawner.js';
import { waitFor } from '../helpers/wait.js';

const req = (command: string, timeoutMs = 0) => ({
  kid: 'k'.repeat(32),
  command,
  dueMs: 1_800_000_000_000,
  timeoutMs,
});

for (const kind of ['native', 'node'] as SpawnerKind[]) {
  describe(`${kind} spawner`, { skip: kind === 'native' && nativeSkip }, () => {
    const spawner = chooseSpawner({ KTIMER_SPAWNER: kind });
    test('commands run in the spawner: exit code, signal, output, environment', async () => {
      const pool = new ShellPool({ spawner });
      pool.warm();
      assert.equal(pool.pids.length, 1, 'warm() starts the first spawner before any task');
      try {
        const [ok, bad, killed] = await Promise.all([
          pool.run(req('echo "$KTIMER_KID" >&2; echo out')).result,
          pool.run(req('exit 7')).result,
          pool.run(req('kill -KILL $$')).result,
        ]);
        assert.equal(ok.ok, true);
        assert.equal(ok.exitCode, 0);
        assert.match(ok.output, new RegExp(`${'k'.repeat(32)}\\n`));
        assert.match(ok.output, /out\n/);
        assert.equal(bad.exitCode, 7);
        assert.equal(bad.ok, false);
        assert.equal(killed.signal, 'SIGKILL');
        for (const r of [ok, bad, killed])
          assert.ok(r.startDelayMs >= 0 && r.startDelayMs < 5000, 'a duration');
      } finally {
        await pool.close();
      }
    });

    test('kill() from the daemon ends the command; a timeout is enforced in the spawner', async () => {
      const pool = new ShellPool({ spawner });
      try {
        const t = pool.run(req('sleep 30'));
        await waitFor(() => pool.waiting === 0, { what: 'the command started' });
        t.kill('SIGTERM');
        const r = await t.result;
        assert.equal(r.signal, 'SIGTERM');
        const timed = await pool.run(req('sleep 30', 200)).result;
        assert.equal(timed.timedOut, true);
        assert.equal(timed.ok, false);
      } finally {
        await pool.close();
      }
    });

    test('a burst gets a second spawner, never more, gone once idle; SIGTERM or SIGINT to a spawner is ignored', async () => {
      const pool = new ShellPool({ idleExitMs: 500, spawner });
      try {
        const burst = Array.from({ length: 100 }, () => pool.run(req('sleep 1')));
        assert.equal(pool.pids.length, 2);
        await waitFor(() => pool.waiting === 0, { what: 'both spawners up', timeoutMs: 10_000 });
        for (const pid of pool.pids) {
          process.kill(pid, 'SIGTERM');
          process.kill(pid, 'SIGINT');
        }
        let most = 0;
        const results = await Promise.all(
          burst.map((t) =>
            t.result.then((r) => {
              most = Math.max(most, pool.pids.length);
              return r;
            }),
          ),
        );
        assert.ok(
          results.every((r) => r.ok),
          JSON.stringify(results.find((r) => !r.ok)),
        );
        // (A spawner done with its share may already have gone idle: count while they finish.)
        assert.equal(most, 2, 'never more than two');
        // Idle: the extra spawner goes, the first one stays for the next task.
        await waitFor(() => pool.pids.length === 1, { what: 'the extra spawner gone', timeoutMs: 5000 });
        // Something that must not happen has no event to wait for: twice the idle time.
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(pool.pids.length, 1);
        assert.equal((await pool.run(req('echo still')).result).output, 'still\n');
      } finally {
        await pool.close();
      }
      assert.equal(pool.pids.length, 0);
    });

    test('a spawner that dies fails what it ran, with the reason; the next command gets a new one', async () => {
      const pool = new ShellPool({ spawner });
      try {
        const pending = pool.run(req('sleep 2; echo late')).result;
        const [pid] = pool.pids;
        await waitFor(() => pool.waiting === 0, { what: 'the command started' });
        process.kill(pid as number, 'SIGKILL');
        const r = await pending;
        assert.equal(r.ok, false);
        assert.match(r.error ?? '', /shell spawner exited \(SIGKILL\); the command's outcome is unknown/);
        const again = await pool.run(req('echo again')).result;
        assert.equal(again.output, 'again\n');
        assert.notEqual(pool.pids[0], pid);
      } finally {
        await pool.close();
      }
    });

    test('closing fails what still runs, with the reason', async () => {
      const pool = new ShellPool({ spawner });
      const pending = pool.run(req('sleep 2; echo late')).result;
      await waitFor(() => pool.waiting === 0, { what: 'the command started' });
      await pool.close();
      const r = await pending;
      assert.equal(r.ok, false);
      assert.match(r.error ?? '', /the daemon stopped; the command's outcome is unknown/);
    });

    test('only the last 4 KiB of output are kept, bytes as they came; a background holder of the pipe does not delay the end', async () => {
      const pool = new ShellPool({ spawner });
      try {
        const big = await pool.run(req("head -c 100000 /dev/zero | tr '\\0' a; printf 'END\\n'")).result;
        assert.equal(big.output.length, 4096);
        assert.match(big.output, /^a+END\n$/);
        const started = Date.now();
        const bg = await pool.run(req('(sleep 5; echo late) & echo early')).result;
        assert.equal(bg.output, 'early\n');
        assert.ok(Date.now() - started < 3000, 'not held for the background process');
      } finally {
        await pool.close();
      }
    });

    test('kids and commands reach bash unchanged: spaces, quotes, newlines, non-ASCII', async () => {
      const pool = new ShellPool({ spawner });
      try {
        const command = 'printf "%s|" "$KTIMER_KID" "a b"\necho \'é ü "x"\'';
        const r = await pool.run({ ...req(command), kid: 'odd kid é' }).result;
        assert.equal(r.output, 'odd kid é|a b|é ü "x"\n');
        assert.equal(r.exitCode, 0);
      } finally {
        await pool.close();
      }
    });
  });
}
