// -user never runs a command as root when another user was asked (issue 24 item 7), even when
// the switch fails: a preloaded shim makes setuid (and setresuid, setreuid, which setpriv uses)
// fail, or return success without switching; the run fails with the reason and the command,
// which would leave a marker, never ran. Needs root and a C compiler (CI has both).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { FireRequest } from '../../src/runner/runner-result.js';
import { chooseSpawner, ShellPool, type SpawnerKind } from '../../src/runner/shell-pool.js';
import { nativeSkip } from '../helpers/native-spawner.js';

const dir = mkdtempSync(join(tmpdir(), 'kt-run-as-guard-'));
chmodSync(dir, 0o777);
after(() => rmSync(dir, { recursive: true, force: true }));

// KT_SHIM=fail: the calls fail with EPERM; KT_SHIM=noop: they return 0 and change nothing.
const SHIM = `#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static int shim(void) {
  const char *m = getenv("KT_SHIM");
  if (m && strcmp(m, "fail") == 0) { errno = EPERM; return -1; }
  return 0;
}
int setuid(uid_t u) { (void)u; return shim(); }
int setreuid(uid_t r, uid_t e) { (void)r; (void)e; return shim(); }
int setresuid(uid_t r, uid_t e, uid_t s) { (void)r; (void)e; (void)s; return shim(); }
`;

function buildShim(): string | null {
  writeFileSync(join(dir, 'shim.c'), SHIM);
  const lib = join(dir, 'shim.so');
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-o', lib, join(dir, 'shim.c')]);
  return cc.status === 0 ? lib : null;
}

const root = process.geteuid?.() === 0;
const shim = root ? buildShim() : null;
const skip = !root ? 'needs root (CI runs as root)' : shim ? false : 'no C compiler to build the shim';

/** A pool whose spawners load the shim in `mode`. */
function shimmedPool(kind: SpawnerKind, mode: 'fail' | 'noop'): ShellPool {
  process.env.LD_PRELOAD = shim ?? '';
  process.env.KT_SHIM = mode;
  try {
    return new ShellPool({ spawner: chooseSpawner({ KTIMER_SPAWNER: kind }) });
  } finally {
    delete process.env.LD_PRELOAD;
    delete process.env.KT_SHIM;
  }
}

const asNobody = (marker: string): FireRequest => ({
  kid: 'k',
  command: `touch ${marker}`,
  dueMs: 0,
  timeoutMs: 0,
  user: 'nobody',
});

/** What each spawner says when the uid switch fails, and when it does not take. */
const expected: Record<
  SpawnerKind,
  Record<'fail' | 'noop', (r: { error: string | null; stderr: string }) => void>
> = {
  native: {
    fail: (r) => assert.equal(r.error, 'cannot run as nobody: setuid(65534) failed: Operation not permitted'),
    noop: (r) =>
      assert.equal(r.error, 'cannot run as nobody: its ids did not take after the switch; not run'),
  },
  node: {
    // setpriv exits 127 before running anything; bash's own check exits 126.
    fail: (r) => assert.match(r.stderr, /setpriv: setresuid failed/),
    noop: (r) => assert.match(r.stderr, /ktimer: uid 0, not 65534: command not run/),
  },
};

for (const kind of ['native', 'node'] as SpawnerKind[]) {
  describe(`${kind} spawner`, { skip: (kind === 'native' && nativeSkip) || skip }, () => {
    for (const mode of ['fail', 'noop'] as const) {
      test(`setuid that ${mode === 'fail' ? 'fails' : 'returns 0 but does not switch'}: not run, never as root`, async () => {
        const pool = shimmedPool(kind, mode);
        try {
          const marker = join(dir, `${kind}-${mode}`);
          const r = await pool.run(asNobody(marker)).result;
          assert.equal(r.ok, false);
          expected[kind][mode](r);
          assert.equal(existsSync(marker), false, 'the command did not run');
        } finally {
          await pool.close();
        }
      });
    }
  });
}
