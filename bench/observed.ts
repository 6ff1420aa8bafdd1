// Benchmark 8, the cost of being watched: timers' firing lateness with two dashboards open (each
// following its live feed and reading its task list again as fires come, as the page does: the
// board's first page, at most every 3 s) and a Prometheus scraper polling /metrics and /healthz
// every second, beside the same daemon with its web API on and nobody calling it, in the same
// repetition.
// Run alone: node --import tsx bench/observed.ts
import { request } from 'node:http';
import { fmt, printSection, ratio, type Section } from './lib/report.js';
import {
  freePort,
  kidOf,
  RedisServer,
  seedDueTimers,
  Sink,
  TestDaemon,
  writeTestConfig,
} from './lib/setup.js';
import { type Latency, latency, medianOf } from './lib/stats.js';

const DUE = 2000;
const PENDING = 20_000;
const SPREAD_MS = 20_000;
const LEAD_MS = 6000;
const PASSWD = 'bench-secret';
const TOKEN = 'bench-metrics-token';
/** Dashboards open at once (issue 26: two, each with its live feed and its list refreshed). */
const DASHBOARDS = 2;
/** The tasks list reads itself again at most this often as the feed tells of runs (src/browser/tasks-view.ts). */
const REFRESH_MIN_MS = 3000;
/** The tasks list's request, as the page sends it. */
const BOARD = 'action=board&state=all&sort=next&order=asc&page=1&size=20';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A Prometheus scraper: /metrics (Bearer) and /healthz, every second, until stopped. */
function scrape(port: number, stop: { done: boolean }): Promise<number> {
  return (async () => {
    let scrapes = 0;
    while (!stop.done) {
      const started = Date.now();
      const m = await call(port, 'GET', '/metrics', { authorization: `Bearer ${TOKEN}` });
      const h = await call(port, 'GET', '/healthz', {});
      if (m.status !== 200 || !m.body.includes('ktimer_fires_total'))
        throw new Error(`/metrics: ${m.status}`);
      if (h.status !== 200) throw new Error(`/healthz: ${h.status} ${h.body}`);
      scrapes++;
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
    }
    return scrapes;
  })();
}

/**
 * A dashboard open on its tasks list: logged in, its page loaded and the list read, the live feed
 * followed, and on fires (at most every REFRESH_MIN_MS, as the page's list reloads) the list read
 * again.
 */
async function dashboard(port: number, stop: { done: boolean }): Promise<number> {
  const form = 'application/x-www-form-urlencoded';
  const login = await call(port, 'POST', '/ui/login', { 'content-type': form }, `passwd=${PASSWD}`);
  const cookie = String(login.headers['set-cookie'] ?? '').split(';')[0] ?? '';
  if (login.status !== 200 || cookie === '') throw new Error(`login: ${login.status} ${login.body}`);
  // The session: its token in a header (the page keeps it in sessionStorage), the cookie beside it.
  const { token } = (JSON.parse(login.body) as { data: { token: string } }).data;
  const session = { cookie, 'x-ktimer-session': token };
  for (const file of ['/ui', '/ui/app.js', '/ui/app.css']) await call(port, 'GET', file, { cookie });
  const resumed = await call(port, 'GET', '/ui/session', session);
  if (resumed.status !== 200) throw new Error(`session: ${resumed.status} ${resumed.body}`);
  const api = (params: string) => call(port, 'POST', '/ui/api', { ...session, 'content-type': form }, params);
  const first = await api(BOARD);
  if (first.status !== 200) throw new Error(`board: ${first.status} ${first.body}`);
  let events = 0;
  let dirty = false;
  const live = request(
    { host: '127.0.0.1', port, path: '/ui/live', headers: { ...session, accept: 'text/event-stream' } },
    (res) => {
      res.setEncoding('utf8').on('data', (chunk: string) => {
        const n = chunk.split('\n\n').length - 1;
        events += n;
        if (n > 0) dirty = true;
      });
    },
  );
  live.on('error', () => {});
  live.end();
  let reloads = 0;
  while (!stop.done) {
    const started = Date.now();
    if (dirty) {
      dirty = false;
      const list = await api(BOARD);
      if (list.status !== 200) throw new Error(`board: ${list.status} ${list.body}`);
      reloads++;
    }
    await new Promise((r) => setTimeout(r, Math.max(100, REFRESH_MIN_MS - (Date.now() - started))));
  }
  live.destroy();
  if (events === 0) throw new Error('the live feed gave no event');
  return reloads;
}

async function run(
  redis: RedisServer,
  sink: Sink,
  watched: boolean,
): Promise<Latency & { scrapes: number; reloads: number }> {
  const due = await seedDueTimers(redis, sink, 'obs', {
    count: DUE,
    pending: PENDING,
    leadMs: LEAD_MS,
    spreadMs: SPREAD_MS,
  });
  const port = await freePort();
  const daemon = new TestDaemon(
    writeTestConfig({
      redisPort: redis.port,
      prefix: 'obs',
      extra: {
        web: ['web_enable = 1', `web_port = ${port}`, `web_passwd = ${PASSWD}`, `metrics_token = ${TOKEN}`],
      },
    }),
  );
  // Before the start: a fire due as soon as the daemon is up must be counted.
  sink.reset();
  await daemon.start();
  const stop = { done: false };
  const watchers = watched
    ? Promise.all([scrape(port, stop), ...Array.from({ length: DASHBOARDS }, () => dashboard(port, stop))])
    : Promise.resolve([0]);
  try {
    await sink.waitFor(DUE, LEAD_MS + SPREAD_MS + 30_000);
  } finally {
    stop.done = true;
  }
  const [scrapes = 0, ...reloadsEach] = await watchers;
  const reloads = reloadsEach.reduce((a, b) => a + b, 0);
  daemon.kill();
  const lat = latency(due.map((d, i) => (sink.arrivals.get(kidOf(i, 'd')) ?? Number.NaN) - d));
  return { ...lat, scrapes, reloads };
}

export async function runObserved(reps: number): Promise<Section> {
  const sink = new Sink();
  await sink.start();
  const watched: Latency[] = [];
  const quiet: Latency[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const [runs, isWatched] of [
      [watched, true],
      [quiet, false],
    ] as const) {
      const redis = await RedisServer.start();
      try {
        const { scrapes, reloads, ...figures } = await run(redis, sink, isWatched);
        runs.push(figures);
        process.stdout.write(
          `observed rep ${rep + 1} ${isWatched ? 'watched' : 'quiet'}: ${JSON.stringify({ ...figures, scrapes, reloads })}\n`,
        );
      } finally {
        await redis.destroy();
      }
    }
  }
  await sink.close();
  const w = medianOf(watched as unknown as Record<string, number>[]) as unknown as Latency;
  const q = medianOf(quiet as unknown as Record<string, number>[]) as unknown as Latency;
  const ms = (x: number) => `${fmt(x)} ms`;
  return {
    title: `8. Watched: ${DUE} URL timers over ${SPREAD_MS / 1000} s with ${DASHBOARDS} dashboards open and /metrics + /healthz scraped every second (median of ${reps})`,
    command: 'node --import tsx bench/observed.ts',
    rows: [
      {
        measure: 'p50',
        ktimer: ms(w.p50),
        peer: `unwatched ${ms(q.p50)}`,
        ratio: `watched/unwatched ${ratio(w.p50, q.p50)}`,
        target: '',
        met: null,
      },
      {
        measure: 'p99',
        ktimer: ms(w.p99),
        peer: `unwatched ${ms(q.p99)}`,
        ratio: `watched/unwatched ${ratio(w.p99, q.p99)}`,
        target: '<= 10 ms',
        met: w.p99 <= 10,
      },
      { measure: 'max', ktimer: ms(w.max), peer: `unwatched ${ms(q.max)}`, ratio: '', target: '', met: null },
      {
        measure: 'fired early',
        ktimer: String(w.early),
        peer: String(q.early),
        ratio: '',
        target: '0',
        met: w.early === 0,
      },
    ],
    notes: [
      `${DASHBOARDS} dashboards, each: logged in, page loaded, the live feed (SSE) followed; when fires came, at most every ${REFRESH_MIN_MS / 1000} s (as the page does), the tasks list (the board's first page, over all ${PENDING + DUE} tasks) read again through /ui/api. The scraper: /metrics with its Bearer token and /healthz, once a second. "reloads" in each repetition's line: the lists read, both dashboards together.`,
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await runObserved(Number(process.env.BENCH_REPS ?? 3)));
  process.exit(0);
}
