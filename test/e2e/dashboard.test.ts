// The dashboard's server side over real HTTP against a running daemon and a private Redis:
// login, the session's token and the browser's cookie (neither alone opens anything), logout,
// the allow list, its files, the live feed's stream, and the actions it added to the API
// (preview, list search, output).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { assertSessionRefused, openFeed, uiCall, uiLogin } from '../helpers/dashboard-client.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { useWebDaemon } from '../helpers/web-daemon.js';

const PASSWD = 'dashboard-test-secret';
const redis = usePrivateRedis();
// 127.0.0.2 is outside the allow list (any 127.x.y.z reaches the loopback).
const web = useWebDaemon(redis, PASSWD, { web: ['web_allow_ip = 127.0.0.1'] });

test('a wrong password is refused and sets no cookie', async () => {
  const reply = await uiCall(web.port, '/ui/login', { method: 'POST', form: { passwd: 'wrong' } });
  assert.equal(reply.status, 401);
  assert.equal(reply.json?.msg, 'wrong password');
  assert.equal(reply.headers['set-cookie'], undefined);
});

test('wrong passwords are slowed down as the API slows them (one count for both doors)', async () => {
  // 3 (or 4, after the test above) here and 2 on the API: 5 would be free on either door alone.
  for (let i = 0; i < 3; i++)
    assert.equal(
      (await uiCall(web.port, '/ui/login', { method: 'POST', form: { passwd: `no${i}` } })).status,
      401,
    );
  for (let i = 0; i < 2; i++)
    assert.equal((await web.api({ action: 'count', passwd: `api-no${i}` })).http, 401);
  const started = Date.now();
  const slowed = await uiCall(web.port, '/ui/login', { method: 'POST', form: { passwd: 'no-again' } });
  assert.equal(slowed.status, 401);
  assert.ok(
    Date.now() - started >= 200,
    `a wrong password after 5 answered after ${Date.now() - started} ms`,
  );
  // A right one answers at once, and ends the slow-down.
  await uiLogin(web.port, PASSWD);
});

test('login gives the page a token and the browser an HttpOnly, SameSite=Strict cookie for /ui; both open the session', async () => {
  const { token, cookie, setCookie } = await uiLogin(web.port, PASSWD);
  assert.match(token, /^[\w-]{43}$/);
  assert.match(setCookie, /^ktimer_browser=[\w-]{43}; /);
  assert.match(setCookie, /; HttpOnly/);
  assert.match(setCookie, /; SameSite=Strict/);
  assert.match(setCookie, /; Path=\/ui/);
  assert.match(setCookie, /; Max-Age=604800$/, 'the browser keeps it for a session lifetime (7 days)');
  const session = await uiCall(web.port, '/ui/session', { token, cookie });
  assert.equal(session.status, 200);
  assert.ok(!session.text.includes(token), 'the session gives no token back');
  assert.equal(typeof (session.json?.data as { ends_at_ms: number }).ends_at_ms, 'number');
  assert.equal((await uiCall(web.port, '/ui/session')).status, 401);
  assert.equal((await uiCall(web.port, '/ui/session', { token, cookie: `${cookie}x` })).status, 401);
  assert.equal((await uiCall(web.port, '/ui/session', { token: `${token.slice(1)}A`, cookie })).status, 401);
});

test('the cookie alone, as another site on this host receives it, opens nothing: no token, no action, no feed', async () => {
  const { cookie } = await uiLogin(web.port, PASSWD);
  const session = await uiCall(web.port, '/ui/session', { cookie });
  assert.equal(session.status, 401);
  assert.doesNotMatch(session.text, /token|[\w-]{43}/);
  const add = { action: 'add', type: 'ticker', time: '60', command: 'id', name: 'cookie-replay' };
  const replayed = await uiCall(web.port, '/ui/api', { method: 'POST', cookie, form: add });
  assert.equal(replayed.status, 401);
  assert.equal((await web.api({ action: 'get', kid: 'cookie-replay' })).http, 404);
  const feed = await openFeed(web.port, { cookie });
  feed.close();
  assert.equal(feed.status, 401);
  assert.equal((await uiCall(web.port, '/ui/logout', { method: 'POST', cookie })).status, 401);
});

test('the token without the cookie opens nothing either: the cookie is a second factor', async () => {
  const { token, cookie } = await uiLogin(web.port, PASSWD);
  assert.equal((await uiCall(web.port, '/ui/session', { token })).status, 401);
  const other = await uiLogin(web.port, PASSWD);
  // Another browser's cookie (a new one is drawn for a login without one).
  assert.notEqual(other.cookie, cookie);
  assert.equal((await uiCall(web.port, '/ui/session', { token, cookie: other.cookie })).status, 401);
  const ok = await uiCall(web.port, '/ui/api', { method: 'POST', token, cookie, form: { action: 'count' } });
  assert.equal(ok.status, 200, ok.text);
  const passwd = await uiCall(web.port, '/ui/api', {
    method: 'POST',
    token,
    cookie,
    form: { action: 'count', passwd: PASSWD },
  });
  assert.equal(passwd.status, 400);
});

test("a second login from one browser keeps its cookie: both tabs' sessions hold", async () => {
  const first = await uiLogin(web.port, PASSWD);
  const second = await uiLogin(web.port, PASSWD, first.cookie);
  assert.equal(second.cookie, first.cookie);
  assert.notEqual(second.token, first.token);
  for (const s of [first, second]) assert.equal((await uiCall(web.port, '/ui/session', s)).status, 200);
});

test('a POST from another origin is refused, login included', async () => {
  const reply = await uiCall(web.port, '/ui/login', {
    method: 'POST',
    form: { passwd: PASSWD },
    origin: 'http://evil.example',
  });
  assert.equal(reply.status, 403);
  assert.equal(reply.headers['set-cookie'], undefined);
});

test('logout ends the session; the browser keeps its cookie (for the sessions of other fleets)', async () => {
  const session = await uiLogin(web.port, PASSWD);
  const out = await uiCall(web.port, '/ui/logout', { method: 'POST', ...session });
  assert.equal(out.status, 200);
  assert.equal(out.headers['set-cookie'], undefined);
  await assertSessionRefused(web.port, session);
});

test('the page and its files are served with a strict content security policy; methods and paths checked', async () => {
  const page = await uiCall(web.port, '/ui');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.match(page.text, /<script src="\/ui\/app.js"/);
  const script = await uiCall(web.port, '/ui/app.js');
  assert.equal(script.status, 200);
  assert.match(String(script.headers['content-type']), /^text\/javascript/);
  const again = await new Promise<number>((resolve, reject) =>
    request(
      {
        host: '127.0.0.1',
        port: web.port,
        path: '/ui/app.js',
        headers: { 'if-none-match': String(script.headers.etag) },
      },
      (res) => resolve(res.resume().statusCode ?? 0),
    )
      .on('error', reject)
      .end(),
  );
  assert.equal(again, 304);
  assert.equal((await uiCall(web.port, '/ui/app.css')).status, 200);
  assert.equal((await uiCall(web.port, '/ui/nope')).status, 404);
  assert.equal((await uiCall(web.port, '/ui/api')).status, 405);
  assert.equal((await uiCall(web.port, '/ui/login')).status, 405);
});

test('/ui is refused to an address outside web_allow_ip, as the API is', async () => {
  await assert.rejects(uiCall(web.port, '/ui', { localAddress: '127.0.0.2' }), /ECONNRESET|socket hang up/);
  await assert.rejects(
    uiCall(web.port, '/ui/login', { method: 'POST', form: { passwd: PASSWD }, localAddress: '127.0.0.2' }),
    /ECONNRESET|socket hang up/,
  );
});

test('the live feed needs a session, and streams each run as it is put on record', async () => {
  assert.equal((await uiCall(web.port, '/ui/live')).status, 401);
  const feed = await openFeed(web.port, await uiLogin(web.port, PASSWD));
  try {
    assert.match(feed.type ?? '', /^text\/event-stream/);
    const added = await web.api<{ data: string }>({
      action: 'add',
      type: 'timer',
      time: '1',
      command: 'echo live',
    });
    const kid = added.body.data;
    const text = await waitFor(() => (feed.chunks.join('').includes(kid) ? feed.chunks.join('') : null), {
      what: 'the run in the feed',
    });
    const data = /event: run\ndata: (.*)\n\n/.exec(text)?.[1] ?? '';
    const run = JSON.parse(data) as { kid: string; result: string; lateness_ms: number; host: string };
    assert.equal(run.kid, kid);
    assert.equal(run.result, 'ok');
    assert.equal(typeof run.lateness_ms, 'number');
  } finally {
    feed.close();
  }
});

test('preview: the next runs of a schedule not stored, checked as add checks it', async () => {
  const session = await uiLogin(web.port, PASSWD);
  const countBefore = (await web.api({ action: 'count' })).body.data;
  const preview = (form: Record<string, string>) =>
    uiCall(web.port, '/ui/api', { method: 'POST', ...session, form: { action: 'preview', ...form } });
  const cron = await preview({ type: 'cron', cron: '0 30 3 * * *', tz: 'Europe/Berlin', n: '5' });
  assert.equal(cron.status, 200, cron.text);
  const runs = cron.json?.data as { local: string }[];
  assert.equal(runs.length, 5);
  for (const r of runs) assert.match(r.local, /T03:30:00\+0[12]:00$/);
  assert.equal(cron.json?.schedule, 'cron 0 30 3 * * * Europe/Berlin');
  const ticker = await preview({ type: 'ticker', time: '60', limit: '2', n: '5' });
  assert.equal((ticker.json?.data as unknown[]).length, 2);
  assert.equal(ticker.json?.more, false);
  const bad = await preview({ type: 'cron', cron: '61 * * * *' });
  assert.equal(bad.status, 400);
  assert.match(bad.json?.msg ?? '', /cron/);
  // A preview stores nothing.
  assert.equal((await web.api({ action: 'count' })).body.data, countBefore);
});

test('list search: tasks whose name, command or kid holds the text, paged by cursor', async () => {
  for (let i = 0; i < 5; i++)
    await web.api({
      action: 'add',
      type: 'ticker',
      time: '3600',
      name: `search-${i}`,
      command: `echo needle-${i}`,
    });
  await web.api({ action: 'add', type: 'ticker', time: '3600', name: 'other', command: 'echo hay' });
  const first = await web.api<{ data: { name: string }[]; next: string | null }>({
    action: 'list',
    search: 'NEEDLE',
    count: '3',
  });
  assert.equal(first.http, 200);
  assert.equal(first.body.data.length, 3);
  assert.ok(first.body.next);
  const second = await web.api<{ data: { name: string }[]; next: string | null }>({
    action: 'list',
    search: 'needle',
    count: '3',
    cursor: first.body.next ?? '',
  });
  const names = [...first.body.data, ...second.body.data].map((t) => t.name).sort();
  assert.deepEqual(names, ['search-0', 'search-1', 'search-2', 'search-3', 'search-4']);
  const byName = await web.api<{ data: { name: string }[] }>({ action: 'list', search: 'other' });
  assert.deepEqual(
    byName.body.data.map((t) => t.name),
    ['other'],
  );
  const offset = await web.api({ action: 'list', search: 'x', offset: '1' });
  assert.equal(offset.http, 400);
});

test('output: one run by its fire id, with its output', async () => {
  const added = await web.api<{ data: string }>({
    action: 'add',
    type: 'timer',
    time: '1',
    command: 'echo "<b>out</b>"',
  });
  const kid = added.body.data;
  const run = await waitFor(
    async () => (await web.api<{ data: { fire_id: string }[] }>({ action: 'history', kid })).body.data[0],
    { what: 'the run on record' },
  );
  const reply = await web.api<{ data: { output: string; fire_id: string } }>({
    action: 'output',
    fire_id: run.fire_id,
  });
  assert.equal(reply.http, 200);
  assert.equal(reply.body.data.output, '<b>out</b>\n');
  assert.equal((await web.api({ action: 'output' })).http, 400);
  assert.equal((await web.api({ action: 'output', fire_id: `${kid}:99` })).http, 404);
});
