// The web API's thread, seen from the main thread: starts web-worker.ts in a worker_threads
// Worker and waits until it listens (or says why it cannot), writes the error.log and runed.log
// lines it sends, answers its questions about the daemon's state, passes on SIGHUP, and closes
// it. A thread that dies is logged in error.log and started again after a backoff, while the
// main thread goes on firing.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { backoffMs } from '../backoff.js';
import type { Config } from '../config/config.js';
import { KtimerError, messageOf } from '../errors.js';
import type { DaemonLogs } from '../log/daemon-logs.js';
import type { LoopHealth } from './health.js';
import type { FromWebThread, ToWebThread, WebWorkerData } from './web-messages.js';

/** How long a closing thread may take before it is terminated. */
const CLOSE_WAIT_MS = 5000;
/** Restarts of a dying thread wait 100 ms, doubling up to this. */
const RESTART_MAX_MS = 30_000;
/** A thread that listened this long before it died is restarted after the shortest wait again. */
const STABLE_MS = 60_000;

export interface WebThreadOptions {
  config: Config;
  logs: Pick<DaemonLogs, 'serve' | 'error' | 'runed'>;
  /** The daemon's state, for the info action. */
  info: () => Record<string, unknown>;
  /** The Prometheus text (/metrics) and the loop's health (/healthz). */
  metrics: () => Promise<string>;
  health: () => LoopHealth;
  /** log.dir = -: where the thread's webac lines go (the main thread's stdout). */
  stdout?: (text: string) => void;
  /** Where it listens; null while it is down (died, not restarted yet). */
  onListening: (address: string | null) => void;
}

/**
 * In dist/bundle, the built web-worker.cjs beside this file; under tsx (tests), the TypeScript
 * source through tsx's require hooks (on Node 20 a worker thread does not take tsx's hooks).
 */
function newWorker(data: WebWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./web-worker.cjs', import.meta.url), { workerData: data });
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const source = fileURLToPath(new URL('./web-worker.ts', import.meta.url));
  const boot = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`;
  return new Worker(boot, { eval: true, workerData: data });
}

export class WebThread {
  address = '';
  private worker: Worker | null = null;
  private starting: Promise<void> | null = null;
  private listeningSinceMs = 0;
  private deaths = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly opts: WebThreadOptions) {}

  /** Starts the thread: resolves once it listens, rejects with its start-up error. */
  start(): Promise<void> {
    this.starting = new Promise<void>((resolve, reject) => {
      const worker = newWorker({ config: this.opts.config });
      let listening = false;
      let crash: unknown;
      worker.on('message', (msg: FromWebThread) => {
        if (msg.type === 'listening') {
          listening = true;
          this.listened(worker, msg.address);
          resolve();
        } else if (msg.type === 'failed') {
          reject(new KtimerError(msg.code, msg.message));
        } else {
          this.relay(worker, msg);
        }
      });
      worker.on('error', (err) => {
        crash = err;
      });
      worker.on('exit', (code) => {
        const why = crash === undefined ? `its thread exited with code ${code}` : messageOf(crash);
        if (listening) this.died(why);
        else reject(new KtimerError('daemon', `web API failed to start: ${why}`));
      });
    }).finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  /** SIGHUP: the thread reopens webac.log. */
  reopen(): void {
    this.send({ type: 'reopen' });
  }

  /** Closes the server and its Redis connection; the thread ends (terminated if it hangs). */
  async close(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.starting?.catch(() => {});
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    this.send({ type: 'close' });
    const timer = setTimeout(() => void worker.terminate(), CLOSE_WAIT_MS);
    await exited;
    clearTimeout(timer);
  }

  private send(msg: ToWebThread): void {
    this.worker?.postMessage(msg);
  }

  private listened(worker: Worker, address: string): void {
    this.worker = worker;
    this.address = address;
    this.listeningSinceMs = performance.now();
    this.opts.onListening(address);
  }

  /** Lines for the main thread's logs, and questions about the daemon's state. */
  private relay(worker: Worker, msg: Exclude<FromWebThread, { type: 'listening' | 'failed' }>): void {
    const answer = (reply: ToWebThread) => worker.postMessage(reply);
    if (msg.type === 'log') {
      const { file, level, fields, msg: text } = msg.line;
      this.opts.logs[file][level](fields, text);
    } else if (msg.type === 'stdout') {
      this.opts.stdout?.(msg.text);
    } else if (msg.type === 'info_request') {
      answer({ type: 'info', info: this.opts.info() });
    } else if (msg.type === 'health_request') {
      answer({ type: 'health', health: this.opts.health() });
    } else {
      this.opts.metrics().then(
        (text) => answer({ type: 'metrics', text }),
        (err: unknown) => answer({ type: 'metrics', text: null, error: messageOf(err) }),
      );
    }
  }

  private died(why: string): void {
    this.worker = null;
    if (this.stopping) return;
    this.opts.onListening(null);
    if (performance.now() - this.listeningSinceMs >= STABLE_MS) this.deaths = 0;
    const waitMs = backoffMs(this.deaths++, RESTART_MAX_MS);
    this.opts.logs.error.error(
      { event: 'web_died', err: why, restart_in_ms: waitMs },
      'web API thread died; the daemon goes on firing and starts it again',
    );
    this.restartTimer = setTimeout(() => this.restart(), waitMs);
  }

  private restart(): void {
    this.start().then(
      () =>
        this.opts.logs.serve.info(
          { event: 'web_restarted', web: this.address },
          'web API thread started again',
        ),
      (err: unknown) => this.died(`could not start again: ${messageOf(err)}`),
    );
  }
}
