// What an alert says (issue 24 item 6), and how -env values are kept out of logs and alerts (item 7).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskEnvValues, rawTaskWithEnvMasked, withEnvMasked } from '../../src/log/env-mask.js';
import { maskUrlUserinfo } from '../../src/log/mask-userinfo.js';
import { alertBody, alertVariables, tail } from '../../src/notify/alert-body.js';
import type { RunRecord } from '../../src/store/open-store.js';
import { maskedUrl } from '../../src/web/masked-url.js';

const record: RunRecord = {
  fire_id: 'k1:7',
  kid: 'k1',
  type: 'cron',
  kind: 'url',
  due: 1,
  finished: 2,
  result: 'failed',
  ok: false,
  http_status: 503,
  host: 'web1',
  pid: 42,
  trigger: 'schedule',
  attempt: 1,
  output_bytes: [5, 0],
};
const mask = (text: string, env: Readonly<Record<string, string>> | undefined) =>
  maskUrlUserinfo(maskEnvValues(text, env));

test('an alert names the task, its command (credentials masked), the daemon, the result, the tails', () => {
  const body = alertBody(
    {
      record,
      task: {
        name: 'poll',
        command: 'https://user:pw@api.example.com/poll?key=s3cr3t-key',
        env: { KEY: 's3cr3t-key' },
      },
      stdout: `${'x'.repeat(3000)}end`,
      stderr: 'oops: s3cr3t-key refused\n',
    },
    'failure',
    2,
    'web2',
    mask,
  );
  assert.equal(body.name, 'poll');
  assert.equal(body.command, 'https://***@api.example.com/poll?key=***');
  assert.equal(body.daemon, 'web1');
  assert.equal(body.sent_by, 'web2');
  assert.equal(body.result, 'failed');
  assert.equal(body.stderr_tail, 'oops: *** refused\n');
  assert.equal(body.stdout_tail.length, 2048);
  assert.ok(body.stdout_tail.endsWith('end'));
  assert.equal(body.subject, 'ktimer: poll failed on web1 (http 503)');
  assert.equal('output' in body, false);
  const vars = alertVariables(body);
  assert.equal(vars.KTIMER_SUBJECT, body.subject);
  assert.equal(vars.KTIMER_NAME, 'poll');
  assert.equal(vars.KTIMER_HTTP_STATUS, '503');
  assert.equal(vars.KTIMER_EXIT_CODE, '');
  assert.equal(vars.KTIMER_FAILURES, '2');
});

test('a lost run of a task gone: named by its kid, no command, no output', () => {
  const lost = alertBody({ record: { ...record, result: 'lost' }, task: {} }, 'failure', 1, 'web1', mask);
  assert.deepEqual([lost.name, lost.command, lost.stdout_tail, lost.stderr_tail], [null, null, '', '']);
  assert.equal(lost.subject, 'ktimer: k1 failed on web1 (lost)');
  const back = alertBody(
    { record: { ...record, result: 'ok', ok: true }, task: { name: 'poll' } },
    'recovery',
    3,
    'web1',
    mask,
  );
  assert.equal(back.subject, 'ktimer: poll recovered on web1 after 3 failure(s)');
});

test('a tail cut inside a character shows U+FFFD, never half a character', () => {
  const text = `${'é'.repeat(1500)}`;
  const t = tail(text);
  assert.ok(Buffer.byteLength(t) <= 2048 + 2);
  assert.ok(t.endsWith('é'));
});

test('-env values are masked in text (4 characters or more), in a task, in a stored task, in a query', () => {
  const env = { TOKEN: 'abcd1234', FLAG: '1', LONGER: 'abcd12345678' };
  assert.equal(maskEnvValues('t=abcd1234 l=abcd12345678 f=1', env), 't=*** l=*** f=1');
  assert.deepEqual(withEnvMasked({ command: 'x', env }), {
    command: 'x',
    env: { TOKEN: '***', FLAG: '***', LONGER: '***' },
  });
  const stored = JSON.stringify({ command: 'echo abcd1234', env });
  const masked = rawTaskWithEnvMasked(stored);
  assert.ok(!masked.includes('abcd1234'), masked);
  assert.match(masked, /"TOKEN":"\*\*\*"/);
  const corrupt = `{"command":"x","env":{"TOKEN":"abcd1234"`;
  assert.equal(rawTaskWithEnvMasked(corrupt), '{"command":"x","env":"***"');
  const query = maskedUrl('/?action=add&env=TOKEN%3Dabcd1234%0AB%3Dx&command=echo');
  assert.equal(query, '/?action=add&env=TOKEN%3D***%0AB%3D***&command=echo');
});
