// The viewer password and who changed what, over real HTTP against a running daemon (issue 26):
// web_viewer_passwd opens the dashboard and the API to look (every read action answers) and
// refuses every change (403, nothing changed), through the API (passwd or Bearer) and a dashboard
// session alike; a viewer's session dies with its password. Each change is recorded with who
// made it (door, role, address) and why, and read back by the changes action and `ktimer changes`.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { ACTIONS, READ_ACTIONS } from '../../src/web/actions.js';
import { assertSessionRefused, uiCall, uiLogin } from '../helpers/dashboard-client.js';
import { runCli } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { useWebDaemon } from '../helpers/web-daemon.js';

const PASSWD = 'viewer-test-admin-secret';
const VIEWER = 'viewer-test-look-only';
const redis = usePrivateRedis();
const web = useWebDaemon(redis, PASSWD, { web: [`web_viewer_passwd = ${VIEWER}`] });

/** The API's change actions, with parameters that would make them change something (the others: none). */
const CHANGES: Record<string, Record<string, string>> = {
  add: { type: 'ticker', time: '60', command: 'true', name: 'by-viewer' },
  update: { kid: 'watched', command: 'echo changed' },
  del: { kid: 'watched' },
  pause: { kid: 'watched' },
  resume: { kid: 'watched' },
  run: { kid: 'watched' },
};

function bearerCall(
  params: Record<string, string>,
  token: string,
): Promise<{ status: number; body: { msg: string } }> {
  return new Promise((resolve, reject) => {
    const path = `/?${new URLSearchParams(params).toString()}`;
    request(
      { host: '127.0.0.1', port: web.port, path, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { msg: string } }),
        );
      },
    )
      .on('error', reject)
      .end();
  });
}

test('a viewer reads everything and changes nothing: API (passwd, Bearer) and dashboard session alike', async () => {
  const added = await web.api({
    action: 'add',
    type: 'ticker',
    time: '3600',
    command: 'true',
    name: 'watched',
    group: 'kept',
  });
  assert.equal(added.http, 200, JSON.stringify(added));
  const before = (await web.api({ action: 'get', kid: 'watched' })).body;
  const session = await uiLogin(web.port, VIEWER);
  assert.equal(
    ((await uiCall(web.port, '/ui/session', session)).json?.data as { role: string }).role,
    'viewer',
  );
  // Every action not on the viewer's list, those added later too, apply among them.
  const changes = Object.keys(ACTIONS).filter((a) => !READ_ACTIONS.has(a));
  assert.ok(changes.includes('apply') && Object.keys(CHANGES).every((a) => changes.includes(a)));
  for (const action of changes) {
    const params = CHANGES[action] ?? {};
    const api = await web.api({ action, ...params, passwd: VIEWER });
    assert.equal(api.http, 403, `API ${action}: ${JSON.stringify(api.body)}`);
    assert.match(String((api.body as { msg: string }).msg), /viewer password only looks/);
    const bearer = await bearerCall({ action, ...params }, VIEWER);
    assert.equal(bearer.status, 403, `Bearer ${action}`);
    const ui = await uiCall(web.port, '/ui/api', { method: 'POST', ...session, form: { action, ...params } });
    assert.equal(ui.status, 403, `dashboard ${action}: ${ui.text}`);
  }
  assert.deepEqual((await web.api({ action: 'get', kid: 'watched' })).body, before, 'nothing changed');
  assert.equal((await web.api({ action: 'get', kid: 'by-viewer' })).http, 404);
  // A group's jobs file: only read (docs/dashboard.md: a viewer may do the actions that only read).
  const file = await web.api<{ data: string }>({ action: 'export', group: 'kept', passwd: VIEWER });
  assert.equal(file.http, 200, JSON.stringify(file.body));
  assert.match(file.body.data, /watched/);
  const fileUi = await uiCall(web.port, '/ui/api', {
    method: 'POST',
    ...session,
    form: { action: 'export', group: 'kept' },
  });
  assert.equal(fileUi.status, 200, fileUi.text);
  for (const action of ['count', 'list', 'board', 'running', 'runs', 'changes', 'info', 'daemons']) {
    assert.equal((await web.api({ action, passwd: VIEWER })).http, 200, `API ${action}`);
    assert.equal(
      (await uiCall(web.port, '/ui/api', { method: 'POST', ...session, form: { action } })).status,
      200,
      `dashboard ${action}`,
    );
  }
  // Every action of the viewer's list is answered, never a 403 (one asked without its
  // parameters, a 400). A run's live output among them: it asks the daemon to publish it, and
  // changes no task.
  for (const action of READ_ACTIONS) {
    const read = await web.api({ action, passwd: VIEWER });
    assert.ok(read.http === 200 || read.http === 400, `API ${action}: ${JSON.stringify(read.body)}`);
  }
  const live = await web.api({ action: 'output_live', fire_id: 'watched:1', passwd: VIEWER });
  assert.notEqual(live.http, 403, JSON.stringify(live.body));
  // The admin's Bearer changes; a wrong one is refused as a wrong password.
  assert.equal((await bearerCall({ action: 'pause', kid: 'watched' }, PASSWD)).status, 200);
  assert.equal((await bearerCall({ action: 'count' }, 'not-it')).status, 401);
});

test("a replayed cookie opens nothing without its session's token; a logged-out viewer session stays shut", async () => {
  const session = await uiLogin(web.port, VIEWER);
  // The cookie alone (another page of the host that read it), or with another session's token.
  const other = await uiLogin(web.port, VIEWER);
  await assertSessionRefused(web.port, { token: '', cookie: session.cookie });
  const mixed = await uiCall(web.port, '/ui/api', {
    method: 'POST',
    token: other.token,
    cookie: session.cookie,
    form: { action: 'count' },
  });
  assert.equal(mixed.status, 401, 'a token works only with the cookie of its own browser');
  const out = await uiCall(web.port, '/ui/logout', { method: 'POST', ...session });
  assert.equal(out.status, 200);
  await assertSessionRefused(web.port, session);
});

test('every change is recorded with who and why: the API, the dashboard, the command line', async () => {
  const admin = await uiLogin(web.port, PASSWD);
  const add = await uiCall(web.port, '/ui/api', {
    method: 'POST',
    ...admin,
    form: {
      action: 'add',
      type: 'ticker',
      time: '3600',
      command: 'true',
      name: 'audited',
      reason: 'for the audit',
    },
  });
  assert.equal(add.status, 200, add.text);
  assert.equal((await web.api({ action: 'pause', kid: 'audited' })).http, 200);
  const cli = await runCli(['--config', web.daemon.config, 'resume', 'audited', '--reason', 'back to work']);
  assert.equal(cli.code, 0, cli.stderr);
  const tooLong = await runCli([
    '--config',
    web.daemon.config,
    'pause',
    'audited',
    '--reason',
    'x'.repeat(201),
  ]);
  assert.equal(tooLong.code, 2);
  assert.match(tooLong.stderr, /reason is 201 characters long; at most 200/);
  const { body } = await web.api<{
    data: { op: string; who: string; reason?: string; name?: string; via: string }[];
  }>({
    action: 'changes',
    n: '3',
  });
  assert.deepEqual(
    body.data.map((c) => [c.op, c.via, c.reason]),
    [
      ['resume', 'cli', 'back to work'],
      ['pause', 'api', undefined],
      ['add', 'dashboard', 'for the audit'],
    ],
  );
  assert.match(body.data[2]?.who ?? '', /^dashboard admin 127\.0\.0\.1$/);
  assert.match(body.data[1]?.who ?? '', /^API admin 127\.0\.0\.1$/);
  assert.match(body.data[0]?.who ?? '', /^\S+@\S+$/);
  const shown = await runCli(['--config', web.daemon.config, 'changes', '-n', '3']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^WHEN +WHAT +TASK +WHO +WHY\n/);
  assert.match(shown.stdout, /resume: 1 resumed .* back to work\n/);
  assert.match(shown.stdout, /add: added \(ticker\) +audited +dashboard admin 127\.0\.0\.1 +for the audit/);
  const json = await runCli(['--config', web.daemon.config, 'changes', '--since', '1h', '--json']);
  assert.ok((JSON.parse(json.stdout) as { changes: unknown[] }).changes.length >= 3);
});
