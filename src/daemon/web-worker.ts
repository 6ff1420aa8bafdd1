// The web API's own thread (a worker_threads Worker started by web-thread.ts; built as
// dist/bundle/web-worker.cjs). Sockets, parsing, the password check, the actions and webac.log
// all run here, never on the thread that claims and fires, and at a lower CPU priority than it.
// It has its own Redis connection and task service, and reads the dashboard's sessions in Redis;
// "now" for an add is the Redis server's clock. Lines for error.log and runed.log (failed
// requests, task changes) go to the main thread, which owns those files; the daemon's state for
// the info action comes from it too.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { KtimerError, messageOf } from '../errors.js';
import { yieldThread } from '../priority.js';
import { openLogFile } from '../log/daemon-logs.js';
import { type LineLogger, logTaskChange } from '../log/task-change-log.js';
import { openServices } from '../service/services.js';
import { openStore, type Store } from '../store/open-store.js';
import type { HealthReport } from '../web/metrics-route.js';
import { Sessions } from '../web/dashboard/sessions.js';
import { requestActor } from '../web/request-actor.js';
import { type ErrorLog, startWebServer, type WebDeps } from '../web/web-server.js';
import { answerWithin, type LoopHealth, loopProblem } from './health.js';
import type { FromWebThread, LogLine, ToWebThread, WebWorkerData } from './web-messages.js';

/** An info or metrics answer is reused this long: a flood asks the main thread twice a second at most. */
const INFO_MAX_AGE_MS = 500;
/** A health answer, this long: a probe sees the loop as it is now. */
const HEALTH_MAX_AGE_MS = 100;
/** /healthz waits this long for Redis to answer (a frozen server holds the call forever). */
const PING_WAIT_MS = 1000;
/** How long it waits for its Redis connection before it listens all the same. */
const CONNECT_WAIT_MS = 1000;

type Post = (msg: FromWebThread) => void;

/** A logger whose lines the main thread writes, unchanged, into `file`. */
function forwardTo(file: LogLine['file'], post: Post): LineLogger & ErrorLog {
  const line = (level: LogLine['level']) => (fields: object, msg: string) =>
    post({ type: 'log', line: { file, level, fields, msg } });
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/**
 * A question for the main thread (the daemon's state, its metrics, its loop's health): one in
 * flight at a time, its answer reused for `maxAgeMs`, so a flood of requests asks it rarely.
 */
class AskMain<T> {
  private last: { atMs: number; value: T } | undefined;
  private readonly waiting: ((value: T) => void)[] = [];

  constructor(
    private readonly ask: () => void,
    private readonly maxAgeMs: number,
  ) {}

  get(): Promise<T> {
    const last = this.last;
    if (last && performance.now() - last.atMs < this.maxAgeMs) return Promise.resolve(last.value);
    return new Promise((resolve) => {
      if (this.waiting.push(resolve) === 1) this.ask();
    });
  }

  answer(value: T): void {
    this.last = { atMs: performance.now(), value };
    for (const resolve of this.waiting.splice(0)) resolve(value);
  }
}

/** What the thread asks the main thread: its state (info), its metrics, its loop's health. */
interface Questions {
  info: AskMain<Record<string, unknown>>;
  metrics: AskMain<{ text: string | null; error?: string }>;
  loop: AskMain<LoopHealth>;
}

function questionsFor(post: Post): Questions {
  return {
    info: new AskMain(() => post({ type: 'info_request' }), INFO_MAX_AGE_MS),
    metrics: new AskMain(() => post({ type: 'metrics_request' }), INFO_MAX_AGE_MS),
    loop: new AskMain(() => post({ type: 'health_request' }), HEALTH_MAX_AGE_MS),
  };
}

async function run(port: MessagePort, { config }: WebWorkerData): Promise<void> {
  // When CPUs are short, the loop goes first (this thread alone: a nice value is a thread's own).
  yieldThread();
  const post: Post = (msg) => port.postMessage(msg);
  const webac = openLogFile(config.log.webac, config, (text) => post({ type: 'stdout', text }));
  const store = openStore(config, 'daemon');
  const asked = questionsFor(post);
  const stop = async () => {
    await store.close();
    await webac.close();
  };
  // Connected first, so the first requests get no 503; but Redis away or slow is no reason not
  // to listen (requests get 503 until it is back), nor to hold up `start -d` twice.
  await Promise.race([store.connect().catch(() => {}), sleep(CONNECT_WAIT_MS)]);
  const server = await startWebServer(serverOptions(config, store, asked, post, webac.logger)).catch(
    (err: unknown) => {
      post(failure(err));
      return null;
    },
  );
  if (!server) {
    await stop();
    return process.exit(1);
  }
  port.on('message', (msg: ToWebThread) => {
    if (msg.type === 'info') asked.info.answer(msg.info);
    else if (msg.type === 'metrics') asked.metrics.answer(msg);
    else if (msg.type === 'health') asked.loop.answer(msg.health);
    else if (msg.type === 'reopen') webac.reopen();
    else
      void server
        .close()
        .then(stop)
        .then(() => process.exit(0));
  });
  post({ type: 'listening', address: `${server.host}:${server.port}` });
}

/** The web server's parts: the services on this thread's store, and what the main thread answers. */
function serverOptions(
  config: WebWorkerData['config'],
  store: Store,
  asked: Questions,
  post: Post,
  accessLog: WebDeps['accessLog'],
): WebDeps {
  // Task changes go to runed.log, which the main thread writes.
  const runed = forwardTo('runed', post);
  // No task is read before this Redis is found to hold the daemon's fleet (again after a failure).
  let checked: Promise<unknown> | undefined;
  const fleetChecked = async () => {
    checked ??= store.checkFleet().catch((err: unknown) => {
      checked = undefined;
      throw err;
    });
    await checked;
    return store;
  };
  const errorLog = forwardTo('error', post);
  const services = openServices({
    config,
    store: fleetChecked,
    onChange: (change) => logTaskChange(runed, change, 'web'),
    // Each change is recorded as the request that made it (web/request-actor.ts).
    actor: requestActor,
    warn: (message) => errorLog.error({ event: 'web_error', err: message }, 'change log'),
  });
  return {
    config,
    service: services.tasks,
    history: services.history,
    fleet: services.fleet,
    changes: services.changes,
    board: services.board,
    info: () => asked.info.get(),
    metrics: async () => {
      const { text, error } = await asked.metrics.get();
      if (text === null) throw new Error(`metrics: ${error ?? 'unavailable'}`);
      return text;
    },
    health: () => healthOf(asked.loop, store),
    accessLog,
    errorLog,
    // The fleet's count of wrong passwords, in Redis beside the sessions.
    wrongPasswords: store.uiSessions,
    dashboard: {
      // Beside this file in dist/bundle: the page and its files, built from src/browser.
      assetsDir: fileURLToPath(new URL('./ui/', import.meta.url)),
      runFeed: store.runFeed(),
      // In Redis, on this thread's connection: shared by every daemon on it.
      sessions: new Sessions(store.uiSessions, {
        passwd: config.web.passwd,
        viewerPasswd: config.web.viewerPasswd,
        lifetimeMs: config.web.sessionLifetimeSec * 1000,
      }),
      cookieMaxAgeSec: config.web.sessionLifetimeSec,
    },
  };
}

/** /healthz: the main thread's loop (claimed within 2 s) and Redis (answers this thread's PING). */
async function healthOf(loop: AskMain<LoopHealth>, store: Store): Promise<HealthReport> {
  const [health, redisError] = await Promise.all([
    loop.get(),
    answerWithin(store.ping(), PING_WAIT_MS, 'Redis').then(
      () => null,
      (err: unknown) => messageOf(err),
    ),
  ]);
  // Redis not answering explains a loop that cannot claim: it is named alone.
  const reason = redisError ? `Redis does not answer: ${redisError}` : loopProblem(health);
  return {
    healthy: reason === null,
    reason,
    claim_age_ms: health.claim_age_ms,
    redis: redisError ?? 'ok',
  };
}

/** Why it cannot start, as the one line `start -d` prints. */
function failure(err: unknown): FromWebThread {
  return err instanceof KtimerError
    ? { type: 'failed', code: err.code, message: err.message }
    : { type: 'failed', code: 'daemon', message: `web API failed to start: ${messageOf(err)}` };
}

if (!parentPort) throw new Error('web-worker runs in a worker thread of the daemon (web-thread.ts)');
void run(parentPort, workerData as WebWorkerData);
