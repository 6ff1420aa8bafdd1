// How the docs' examples are read and compared (test/helpers/doc-examples.ts): what is a command,
// what is its output, what is masked, what `...` stands for, and which kids later commands use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindKids, commandToRun, matchOutput, printedLines, readPage } from '../helpers/doc-examples.js';

const KID_SHOWN = '7d411eeb079e47e8a66282919d04be90';
const KID_REAL = '0123456789abcdef0123456789abcdef';

const page = [
  '# A page',
  '',
  '```sh',
  `$ ktimer add -type=ticker -time=5 \\`,
  '    -command="date"',
  `operating result:[true] newkid:[${KID_SHOWN}]`,
  "$ ktimer add --file - <<'EOF'",
  '{"time":60}',
  'EOF',
  'operating result:[true] added:[1]',
  '```',
  '',
  '- in a list:',
  '  ```sh',
  '  ktimer add -time=+15m -command="echo later"   # runs in 15 minutes',
  '  ktimer start -d',
  '  ```',
].join('\n');

test('a `$ ` line is a command, the lines after it its output; `\\` and here-documents go on', () => {
  const read = readPage('docs/x.md', page);
  assert.deepEqual(
    read.examples.map((e) => [e.line, e.command, e.expected]),
    [
      [
        4,
        'ktimer add -type=ticker -time=5 \\\n    -command="date"',
        [`operating result:[true] newkid:[${KID_SHOWN}]`],
      ],
      [7, 'ktimer add --file - <<\'EOF\'\n{"time":60}\nEOF', ['operating result:[true] added:[1]']],
    ],
  );
});

test('a block without `$ ` is an illustration: its add, list and count lines run for their exit status', () => {
  const read = readPage('docs/x.md', page);
  assert.deepEqual(
    read.plain.map((p) => [p.line, p.command]),
    [[15, 'ktimer add -time=+15m -command="echo later"   # runs in 15 minutes']],
  );
  assert.equal(read.daemonStopped, false);
  assert.equal(readPage('x.md', '<!-- examples: the daemon is stopped -->\n').daemonStopped, true);
});

test('output before any command is refused, with its place', () => {
  assert.throws(
    () => readPage('docs/x.md', '```\noops\n$ ktimer count\n```\n'),
    /docs\/x\.md:2: output shown before/,
  );
});

test('kids, times, durations and pids are masked; spaces between columns count as one', () => {
  const shown = [
    `${KID_SHOWN}  ticker  every 5s  0/3   ok 2m ago   in 4s      date`,
    'ktimer started [4242]',
    '"run_nexttime": 1763941387.279, "claim_age_ms":312',
    '1    2026-12-01T12:00:05.000+01:00  manual  ok  10 ms  652.9 ms  web1',
  ];
  const printed = [
    `${KID_REAL}  ticker  every 9s  0/3  ok 1h 2m ago  in 10m 5s  date`,
    'ktimer started [17]',
    '"run_nexttime": 1796596029.834, "claim_age_ms":9',
    '1  2026-12-06T22:27:20.008+00:00  manual  ok  7 ms  3.9 ms  web1',
  ];
  assert.ok(matchOutput(shown, printed));
  assert.equal(
    matchOutput(shown, [...printed.slice(0, 3), printed[3]?.replace('manual', 'schedule') ?? '']),
    null,
  );
  assert.equal(matchOutput(['0/3'], ['0/4']), null, 'counts are not masked');
});

test('`...` alone stands for any lines, within a line for any text', () => {
  assert.ok(matchOutput(['a', '...', 'z'], ['a', 'b', 'c', 'z']));
  assert.ok(matchOutput(['a', '...', 'z'], ['a', 'z']));
  assert.ok(matchOutput(['{"next":"..."}'], ['{"next":"MTc5NjU5"}']));
  assert.equal(matchOutput(['a', '...', 'z'], ['a', 'b']), null);
  assert.equal(matchOutput(['a'], ['a', 'b']), null, 'a line printed and not shown is a difference');
  assert.ok(matchOutput(['a', ''], ['a']), 'blank lines at the end do not count');
});

test('a kid shown binds to the kid printed in its place; later commands use the real one', () => {
  const shown = [`operating result:[true] newkid:[${KID_SHOWN}]`];
  const printed = [`operating result:[true] newkid:[${KID_REAL}]`];
  const pairs = matchOutput(shown, printed);
  assert.ok(pairs);
  const kids = new Map<string, string>();
  bindKids(shown, printed, pairs, kids);
  assert.equal(commandToRun(`ktimer get ${KID_SHOWN}`, [], kids), `ktimer get ${KID_REAL}`);
});

test("the machine's values read as the docs show them, in output and commands", () => {
  const readsAs = [{ actual: '127.0.0.1:40361', shown: '127.0.0.1:9558' }];
  assert.deepEqual(printedLines('web api: 127.0.0.1:40361\nhost vm-7\n\n', readsAs, 'vm-7'), [
    'web api: 127.0.0.1:9558',
    'host web1',
  ]);
  assert.equal(
    commandToRun('curl http://127.0.0.1:9558/', readsAs, new Map()),
    'curl http://127.0.0.1:40361/',
  );
});
