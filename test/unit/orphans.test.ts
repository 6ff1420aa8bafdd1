// A daemon killed by SIGKILL mid-run (issue 29): the process owning the pool (a small driver, as
// the daemon owns its pool) dies, and its spawner, native or Node, stops the command it left:
// SIGTERM to its process group (a trap sees it), SIGKILL after the grace to a command that ignores
// it, and the command never finishes. With task_keep_orphans it goes on alone, as before.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { groupAlive } from '../../src/runner/group-kill.js';
import type { SpawnerKind } from '../../src/runner/shell-pool.js';
import { nativeSkip } from '../helpers/native-spawner.js';
import { startDriver } from '../helpers/pool-driver-client.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'kt-orphans-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A command that writes its pid, then works for `seconds` in steps, then writes `done`; on
 * SIGTERM it writes `term`, and exits too when `exits`. (Not a loop over $(seq N): a SIGTERM
 * that killed seq before the loop began would end it at once.) */
const command = (d: string, exits: boolean, seconds: number) =>
  `mkdir -p ${d}; trap 'echo term >> ${d}/term${exits ? '; exit 143' : ''}' TERM; echo $$ > ${d}/pid; ` +
  `for ((i = 0; i < ${seconds * 10}; i++)); do sleep 0.1; done; touch ${d}/done`;

for (const kind of ['native', 'node'] as SpawnerKind[]) {
  describe(`${kind} spawner`, { skip: kind === 'native' && nativeSkip }, () => {
    /** Starts the command in a driver's pool, then kills the driver by SIGKILL once it runs. */
    async function killedMidRun(name: string, orphans: number | 'keep', exits: boolean, seconds: number) {
      const d = join(dir, `${kind}-${name}`);
      const driver = startDriver(kind, orphans, {
        kid: 'k',
        command: command(d, exits, seconds),
        dueMs: 0,
        timeoutMs: 0,
      });
      const spawner = await driver.spawnerPid();
      const pidFile = join(d, 'pid');
      const pgid = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0), {
        what: 'the command running',
        timeoutMs: 15_000,
      });
      const startedMs = Date.now();
      driver.proc.kill('SIGKILL');
      await driver.exited;
      return { d, spawner, pgid, startedMs, killedMs: Date.now() };
    }

    /** Something that must not happen has no event to wait for: past the time it would have. */
    const pastItsEnd = (startedMs: number, seconds: number) =>
      new Promise((r) => setTimeout(r, Math.max(0, startedMs + seconds * 1000 + 1000 - Date.now())));

    test('a command that ignores SIGTERM gets it, then SIGKILL after the grace; it never finishes', async () => {
      const run = await killedMidRun('ignores', 1000, false, 4);
      await waitFor(() => existsSync(join(run.d, 'term')), { what: 'SIGTERM seen by the trap' });
      await waitFor(() => !groupAlive(run.pgid), { what: 'the group killed', timeoutMs: 6000 });
      const goneAfterMs = Date.now() - run.killedMs;
      assert.ok(goneAfterMs >= 900, `SIGKILL came after the grace, not before (${goneAfterMs} ms)`);
      await waitFor(() => !alive(run.spawner), { what: 'the spawner gone', timeoutMs: 5000 });
      await pastItsEnd(run.startedMs, 4);
      assert.equal(existsSync(join(run.d, 'done')), false, 'the command never finished');
      assert.equal(readFileSync(join(run.d, 'term'), 'utf8'), 'term\n', 'one SIGTERM');
    });

    test('a command that ends on SIGTERM ends at once; the spawner does not wait out the grace', async () => {
      const run = await killedMidRun('obeys', 20_000, true, 4);
      await waitFor(() => !alive(run.spawner), { what: 'the spawner gone', timeoutMs: 5000 });
      assert.equal(groupAlive(run.pgid), false);
      assert.equal(readFileSync(join(run.d, 'term'), 'utf8'), 'term\n');
      await pastItsEnd(run.startedMs, 4);
      assert.equal(existsSync(join(run.d, 'done')), false, 'the command never finished');
    });

    test('task_keep_orphans: the command goes on alone and finishes', async () => {
      const run = await killedMidRun('kept', 'keep', false, 2);
      await waitFor(() => !alive(run.spawner), { what: 'the spawner gone', timeoutMs: 5000 });
      assert.equal(groupAlive(run.pgid), true, 'still running without its daemon');
      await waitFor(() => existsSync(join(run.d, 'done')), { what: 'the command finished', timeoutMs: 8000 });
      assert.equal(existsSync(join(run.d, 'term')), false, 'no SIGTERM');
    });
  });
}
