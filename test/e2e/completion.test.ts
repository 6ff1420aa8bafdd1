// `ktimer completion bash`: the script sourced in a real bash, completions asked as bash asks
// them (COMP_LINE, COMP_POINT), the kids and names read from the store of the line's --config.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ktimerOnPath, runCli, writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
let sandbox: string;
let config: string;
let kid: string;
/** A line without --config reads this: no store, whatever the checkout's own conf.ini says. */
const NO_CONFIG = '/nonexistent/ktimer/conf.ini';

before(async () => {
  await redis.ready();
  sandbox = mkdtempSync(join(tmpdir(), 'ktimer-completion-'));
  config = writeTestConfig({ redisPort: redis.server.port });
  // The script calls `ktimer` for the kids and names.
  ktimerOnPath(sandbox);
  const added = await runCli(['add', '-time=3600', '-name=backup', '-command=true', '--config', config]);
  kid = /newkid:\[(\w+)\]/.exec(added.stdout)?.[1] ?? '';
  assert.match(kid, /^[0-9a-f]{32}$/, added.stderr);
});

/** What bash offers for each line, the cursor at its end: one reply list per line. */
function complete(lines: string[]): string[][] {
  const script = `source <(ktimer completion bash) || exit 9
for line in "$@"; do
  COMP_LINE=$line COMP_POINT=\${#line} COMPREPLY=()
  _ktimer
  printf '%s ' "\${COMPREPLY[@]}"; printf '\\n'
done`;
  const res = spawnSync('bash', ['-c', script, 'bash', ...lines], {
    env: { ...process.env, PATH: `${sandbox}:${process.env.PATH}`, KTIMER_CONFIG: NO_CONFIG },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(res.status, 0, res.stderr);
  return res.stdout
    .split('\n')
    .slice(0, lines.length)
    .map((l) =>
      l
        .split(' ')
        .filter((w) => w !== '')
        .sort(),
    );
}

test('commands, options in the style typed, option values, and the commands of help', () => {
  const got = complete([
    'ktimer ad',
    'ktimer h',
    'ktimer add --ty',
    'ktimer add -ty',
    'ktimer add --type=t',
    'ktimer add -overlap=',
    'ktimer add --misfire ',
    'ktimer --js',
    'ktimer help res',
    'ktimer completion ',
    'ktimer restart --',
  ]);
  assert.deepEqual(got.slice(0, 10), [
    ['add'],
    ['help', 'history'],
    ['--type'],
    ['-type'],
    // bash replaces what follows "=": the values alone.
    ['ticker', 'timer'],
    ['allow', 'queue', 'skip'],
    ['all', 'once', 'skip'],
    ['--json'],
    ['reshard', 'restart', 'resume'],
    ['bash', 'zsh'],
  ]);
  for (const flag of ['--daemon', '--foreground', '--now', '--config', '--json', '--help'])
    assert.ok(got[10]?.includes(flag), `restart offers ${flag}`);
});

test("kids and names from the store of the line's --config, wherever a KID goes", () => {
  const got = complete([
    `ktimer --config ${config} get `,
    `ktimer --config=${config} history b`,
    `ktimer -config=${config} del -kid=b`,
    `ktimer --config ${config} run --kid ${kid.slice(0, 6)}`,
    `ktimer --config ${config} get backup `,
    `ktimer get `,
    `ktimer --config ${config} pause backup `,
  ]);
  assert.deepEqual(got[0], ['backup', kid].sort());
  // A kid is hex: one in sixteen begins with "b" too, and is offered beside the name.
  const startingB = ['backup', ...(kid.startsWith('b') ? [kid] : [])].sort();
  assert.deepEqual(got[1], startingB);
  assert.deepEqual(got[2], startingB);
  assert.deepEqual(got[3], [kid]);
  assert.deepEqual(got[4], [], 'one KID argument only');
  // No config to read here (Redis cannot be asked): nothing, and no error on the terminal.
  assert.deepEqual(got[5], []);
  assert.deepEqual(got[6], ['backup', kid].sort(), 'del, pause, resume and run take several');
});

test('completion --tasks prints names and kids; an unknown shell is a usage error', async () => {
  const tasks = await runCli(['completion', '--tasks', '--config', config]);
  assert.equal(tasks.stdout, `backup\n${kid}\n`);
  const fish = await runCli(['completion', 'fish']);
  assert.equal(fish.code, 2);
  assert.match(fish.stderr, /no completion for "fish"; give bash or zsh/);
});

test('zsh: the same offers, from the same tables (compadd stubbed: zsh itself filters by prefix)', (t) => {
  if (spawnSync('zsh', ['-c', 'true']).error) return t.skip('no zsh here');
  const script = `compadd() { local pre=""; while [[ $1 == -* ]]; do case $1 in -P) pre=$2; shift 2;; --) shift; break;; *) shift;; esac; done; print -r -- "\${(j: :)\${(@)argv/#/$pre}}"; }
compset() { :; }
compdef() { :; }
_files() { print -r -- FILES; }
source <(ktimer completion zsh) || exit 9
for line in "$@"; do
  words=(\${(z)line}); [[ $line == *' ' ]] && words+=('')
  CURRENT=\${#words}
  _ktimer
done`;
  const lines = [
    'ktimer ad',
    'ktimer add -ty',
    'ktimer add --type=t',
    `ktimer --config ${config} del `,
    'ktimer --config ',
  ];
  const res = spawnSync('zsh', ['-c', script, 'zsh', ...lines], {
    env: { ...process.env, PATH: `${sandbox}:${process.env.PATH}`, KTIMER_CONFIG: NO_CONFIG },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(res.status, 0, res.stderr);
  const [commands = '', options = '', types = '', tasks = '', files = ''] = res.stdout.split('\n');
  assert.ok(commands.split(' ').includes('add'));
  assert.ok(options.split(' ').includes('-type'));
  assert.equal(types, 'timer ticker cron');
  assert.deepEqual(tasks.split(' ').sort(), ['backup', kid].sort());
  assert.equal(files, 'FILES');
});
