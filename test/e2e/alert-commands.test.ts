// Alerts worth receiving, end to end (issue 24 items 6 and 7): the POSTed alert names the task,
// its command (credentials masked), the daemon, the result and the tails of stderr and stdout;
// [notify] on_failure_command and on_recovery_command run a real command with the alert as JSON
// on stdin and KTIMER_* variables; a task with -notify=off sends none; its -env values reach no
// log line (runed, error, webac) and no alert.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { useWebDaemon } from '../helpers/web-daemon.js';

const redis = usePrivateRedis();
const received: Record<string, unknown>[] = [];
const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
  let text = '';
  req.setEncoding('utf8').on('data', (c: string) => {
    text += c;
  });
  req.on('end', () => {
    received.push(JSON.parse(text) as Record<string, unknown>);
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const port = (receiver.address() as AddressInfo).port;
after(() => new Promise((r) => receiver.close(r)));

// Each command keeps what it was given beside conf.ini (where it runs): stdin and its KTIMER_*
// (the .env file appears whole, last).
const keep = (event: string) =>
  `cat > "${event}-$KTIMER_FIRE_ID.json"; env | grep ^KTIMER_ | sort > "${event}.tmp"; mv "${event}.tmp" "${event}-$KTIMER_FIRE_ID.env"`;
const web = useWebDaemon(redis, 'alert-pass', {
  notify: [
    `on_failure = http://alert:s3cret@127.0.0.1:${port}/failed`,
    // It fails for the task named broken-mail, as a mailer that cannot send would. Quoted: `;`
    // starts a comment in conf.ini.
    `on_failure_command = '${keep('failure')}; if [ "$KTIMER_NAME" = broken-mail ]; then echo "no mail today" >&2; exit 3; fi'`,
    `on_recovery_command = '${keep('recovery')}'`,
    'failure_threshold = 1',
    'timeout = 5',
  ],
});

const SECRET = 'tok-9f8e7d6c';
const alertsOf = (kid: string) => received.filter((b) => b.kid === kid);

test('a failure: the alert says what failed and where; the command gets it on stdin and as KTIMER_*', async () => {
  const { dir } = web.daemon;
  const flag = join(dir, 'healthy');
  // A ticker: a timer run by hand is done (its -limit), and could not be run again to recover.
  const kid = await web.daemon.add([
    '-type=ticker',
    '-time=3600',
    '-name=nightly',
    `-env=TOKEN=${SECRET}`,
    `-command=echo "out $TOKEN"; echo "it broke" >&2; test -f ${flag} || exit 4`,
  ]);
  const run = await web.daemon.cli(['run', kid, '--wait']);
  assert.equal(run.code, 1);
  const fireId = `${kid}:1`;
  await waitFor(() => alertsOf(kid).length === 1 && existsSync(join(dir, `failure-${fireId}.env`)), {
    what: `the POST and the command ${JSON.stringify(web.daemon.log('runed').filter((e) => e.event === 'alert'))} ${readdirSync(dir).join(' ')}`,
  });
  const [body] = alertsOf(kid) as [Record<string, unknown>];
  assert.equal(body.name, 'nightly');
  assert.equal(body.command, `echo "out $TOKEN"; echo "it broke" >&2; test -f ${flag} || exit 4`);
  assert.equal(body.result, 'failed');
  assert.equal(body.exit_code, 4);
  assert.equal(typeof body.daemon, 'string');
  assert.equal(body.stdout_tail, 'out ***\n', 'its -env value is masked');
  assert.equal(body.stderr_tail, 'it broke\n');
  assert.equal(body.subject, `ktimer: nightly failed on ${String(body.daemon)} (exit 4)`);
  const viaStdin = JSON.parse(readFileSync(join(dir, `failure-${fireId}.json`), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.deepEqual(viaStdin, body, 'the command gets the same alert');
  const vars = readFileSync(join(dir, `failure-${fireId}.env`), 'utf8');
  assert.match(vars, /^KTIMER_EVENT=failure$/m);
  assert.match(vars, new RegExp(`^KTIMER_SUBJECT=ktimer: nightly failed on .+ \\(exit 4\\)$`, 'm'));
  assert.match(vars, /^KTIMER_NAME=nightly$/m);
  assert.match(vars, new RegExp(`^KTIMER_FIRE_ID=${fireId}$`, 'm'));
  assert.match(vars, /^KTIMER_EXIT_CODE=4$/m);
  assert.doesNotMatch(vars, /KTIMER_CONFIG/, "the daemon's own KTIMER_* stay out");
  // It recovers: the recovery command.
  writeFileSync(flag, '');
  assert.equal((await web.daemon.cli(['run', kid, '--wait'])).code, 0);
  await waitFor(() => existsSync(join(dir, `recovery-${kid}:2.env`)), { what: 'the recovery command' });
  assert.match(readFileSync(join(dir, `recovery-${kid}:2.env`), 'utf8'), /^KTIMER_EVENT=recovery$/m);
  assert.ok(web.daemon.log('runed').some((e) => e.event === 'alert' && e.command !== undefined));
});

test('-notify=off: a failing task sends no alert and runs no command', async () => {
  const { dir } = web.daemon;
  const quiet = await web.daemon.add(['-time=3600', '-notify=off', '-command=exit 9']);
  const loud = await web.daemon.add(['-time=3600', '-command=exit 9']);
  await web.daemon.cli(['run', quiet, '--wait']);
  await web.daemon.cli(['run', loud, '--wait']);
  await waitFor(() => alertsOf(loud).length === 1 && existsSync(join(dir, `failure-${loud}:1.env`)), {
    what: "the other task's alert",
  });
  assert.equal(alertsOf(quiet).length, 0);
  assert.equal(existsSync(join(dir, `failure-${quiet}:1.env`)), false);
});

test('a notify command that fails is logged in error.log, and not run again', async () => {
  const kid = await web.daemon.add(['-time=3600', '-name=broken-mail', '-command=exit 1']);
  await web.daemon.cli(['run', kid, '--wait']);
  const failed = await waitFor(
    () => web.daemon.log('error').find((e) => e.event === 'alert_failed' && e.kid === kid),
    { what: 'the command given up' },
  );
  assert.equal(failed.err, 'exit 3: no mail today');
  assert.equal(typeof failed.command, 'string');
  // The POST went out all the same; the command ran once.
  assert.equal(alertsOf(kid).length, 1);
  assert.equal(web.daemon.log('error').filter((e) => e.event === 'alert_failed' && e.kid === kid).length, 1);
});

test('-env values reach no log line: runed.log, error.log, webac.log', async () => {
  const added = await web.api<{ data: string }>({
    action: 'add',
    time: '3600',
    env: `TOKEN=${SECRET}\nOTHER=x`,
    command: 'echo "token is $TOKEN"; exit 2',
  });
  const kid = added.body.data;
  await web.daemon.cli(['run', kid, '--wait']);
  await waitFor(() => web.daemon.fires().some((e) => e.kid === kid), { what: 'its fire line' });
  const fire = web.daemon.fires().find((e) => e.kid === kid);
  assert.equal(fire?.output, 'token is ***\n');
  for (const name of ['runed', 'error', 'webac', 'serve'] as const)
    assert.ok(!JSON.stringify(web.daemon.log(name)).includes(SECRET), `${name}.log holds no -env value`);
  assert.ok(
    web.daemon.log('webac').some((e) => String(e.url).includes('env=TOKEN%3D***')),
    'webac.log shows the names',
  );
});
