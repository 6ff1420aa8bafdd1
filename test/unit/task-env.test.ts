// The environment a task starts from and what a run sets over it (docs/running-tasks.md), and the
// checks a request passes before any spawner sees it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FireRequest } from '../../src/runner/runner-result.js';
import { requestProblem, runEnv, taskBaseEnv } from '../../src/runner/task-env.js';

const req = (more: Partial<FireRequest> = {}): FireRequest => ({
  kid: 'abc',
  command: 'true',
  dueMs: 1_800_000_000_123,
  timeoutMs: 0,
  ...more,
});

test("the base: the daemon's environment less every KTIMER_* variable, then the pool's own", () => {
  const daemon = {
    PATH: '/bin',
    KTIMER_SPAWNER: 'node',
    KTIMER_DETACH_STAGE: '2',
    KTIMER_CONFIG: '/x',
    LANG: 'C',
  };
  assert.deepEqual(taskBaseEnv(daemon, { KTIMER_CONFIG: '/etc/kt.ini', LANG: 'C.UTF-8' }), {
    PATH: '/bin',
    LANG: 'C.UTF-8',
    KTIMER_CONFIG: '/etc/kt.ini',
  });
});

test('a run sets -env first and its own variables last, which -env cannot replace', () => {
  assert.deepEqual(runEnv(req()), [
    ['KTIMER_KID', 'abc'],
    ['KTIMER_DUE', '1800000000.123'],
  ]);
  const vars = runEnv(req({ env: { A: '1', KTIMER_KID: 'forged' }, fireId: 'abc:3', name: 'nightly' }));
  assert.deepEqual(vars, [
    ['A', '1'],
    ['KTIMER_KID', 'forged'],
    ['KTIMER_KID', 'abc'],
    ['KTIMER_DUE', '1800000000.123'],
    ['KTIMER_FIRE_ID', 'abc:3'],
    ['KTIMER_NAME', 'nightly'],
  ]);
  assert.equal(Object.fromEntries(vars).KTIMER_KID, 'abc', 'the later one wins');
});

test('requests that cannot run as they are, and why', () => {
  assert.equal(requestProblem(req({ env: { PATH: '/bin', _x1: '' }, cwd: '/srv', user: 'backup' })), null);
  assert.equal(requestProblem(req({ user: 'svc$' })), null, 'a machine account');
  const problems: [Partial<FireRequest>, string][] = [
    [{ command: 'echo a\0b' }, 'the command holds a NUL byte'],
    [{ env: { '1A': 'x' } }, 'env: "1A" is not a variable name (letters, digits, _)'],
    [{ env: { 'A=B': 'x' } }, 'env: "A=B" is not a variable name (letters, digits, _)'],
    [{ env: { A: 'x\0y' } }, 'env A: the value holds a NUL byte'],
    [{ cwd: 'srv' }, 'cwd "srv" is not an absolute path'],
    [{ cwd: '/srv\0' }, 'cwd: the path holds a NUL byte'],
    [{ user: '' }, 'user "" is not a user name'],
    [{ user: '-rf' }, 'user "-rf" is not a user name'],
    [{ user: 'a b' }, 'user "a b" is not a user name'],
  ];
  for (const [more, why] of problems) assert.equal(requestProblem(req(more)), why, JSON.stringify(more));
});
