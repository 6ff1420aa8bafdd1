// Alerts (README "Alerts"): when a task's run fails for good (after its retries) failure_threshold
// times in a row, or more, its record is POSTed as JSON to [notify] on_failure; when such a task
// succeeds again, to on_recovery. Alerts go out in the background, a few at once: a slow or
// failing receiver never holds up the loop or a fire. A POST that fails is tried again twice,
// then given up and logged in error.log.
import type { Config } from '../config/config.js';
import { messageOf } from '../errors.js';
import type { RunRecord } from '../store/open-store.js';

export type AlertEvent = 'failure' | 'recovery';

/** What a receiver gets: the run's record, and why it is sent. */
export type AlertBody = RunRecord & {
  event: AlertEvent;
  /** failure: the task's failures in a row, this one included; recovery: how many there were. */
  failures_in_a_row: number;
  /** The daemon that sent it. */
  sent_by: string;
};

export interface NotifierDeps {
  notify: Config['notify'];
  /** This machine, as records name it. */
  host: string;
  logs: {
    error: { error(fields: object, msg: string): void };
    runed: { info(fields: object, msg: string): void };
  };
  /** Waits between tries (tests shorten them). */
  retryWaitsMs?: readonly number[];
  /** Told of each alert given up (metrics). */
  onGivenUp?: () => void;
}

/** POSTs in flight at once; the queue beyond them, at most (the oldest are dropped, logged). */
const IN_FLIGHT = 4;
const MAX_QUEUED = 1000;
const RETRY_WAITS_MS = [1000, 4000];

interface Alert {
  url: string;
  body: AlertBody;
}

export class Notifier {
  private readonly queue: Alert[] = [];
  private inFlight = 0;
  private idle: (() => void)[] = [];
  private closing = false;

  constructor(private readonly deps: NotifierDeps) {}

  /**
   * A run put on record, with its task's failures in a row (run-record.lua): after a failure for
   * good, how many now; after a success, minus how many there were.
   */
  runRecorded(record: RunRecord, streak: number): void {
    const { onFailure, onRecovery, failureThreshold } = this.deps.notify;
    if (streak >= failureThreshold && onFailure !== '') this.send(onFailure, record, 'failure', streak);
    else if (-streak >= failureThreshold && onRecovery !== '')
      this.send(onRecovery, record, 'recovery', -streak);
  }

  /** Waits up to `ms` for the alerts under way; the rest are given up (logged). */
  async close(ms: number): Promise<void> {
    this.closing = true;
    if (this.inFlight === 0 && this.queue.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((r) => this.idle.push(r)),
      new Promise<void>((r) => {
        timer = setTimeout(r, ms);
      }),
    ]);
    clearTimeout(timer);
    const left = this.queue.length + this.inFlight;
    if (left > 0)
      this.deps.logs.error.error(
        { event: 'alert_dropped', alerts: left },
        'alerts not sent: the daemon stopped',
      );
  }

  private send(url: string, record: RunRecord, event: AlertEvent, count: number): void {
    const body: AlertBody = { ...record, event, failures_in_a_row: count, sent_by: this.deps.host };
    if (this.queue.length >= MAX_QUEUED) {
      const dropped = this.queue.shift();
      this.giveUp(dropped as Alert, 'too many alerts waiting (the receiver is slow or down)');
    }
    this.queue.push({ url, body });
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < IN_FLIGHT && this.queue.length > 0) {
      const alert = this.queue.shift() as Alert;
      this.inFlight++;
      void this.deliver(alert).finally(() => {
        this.inFlight--;
        this.pump();
        if (this.inFlight === 0 && this.queue.length === 0) for (const r of this.idle.splice(0)) r();
      });
    }
  }

  private async deliver(alert: Alert): Promise<void> {
    const waits = this.deps.retryWaitsMs ?? RETRY_WAITS_MS;
    let why = '';
    for (let attempt = 0; attempt <= waits.length; attempt++) {
      if (attempt > 0) {
        if (this.closing) break;
        await new Promise((r) => setTimeout(r, waits[attempt - 1]));
      }
      why = await this.post(alert);
      if (why === '') {
        this.deps.logs.runed.info(
          { event: 'alert', alert: alert.body.event, kid: alert.body.kid, fire_id: alert.body.fire_id },
          `${alert.body.event} alert sent`,
        );
        return;
      }
    }
    this.giveUp(alert, why);
  }

  /** '' when the receiver took it (2xx), else why not. */
  private async post(alert: Alert): Promise<string> {
    const { url, headers } = withBasicAuth(alert.url);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ktimer', ...headers },
        body: JSON.stringify(alert.body),
        signal: AbortSignal.timeout(this.deps.notify.timeoutMs),
        redirect: 'manual',
      });
      // The body is not needed; reading it frees the connection for the next alert.
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? '' : `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') return `no reply within ${this.deps.notify.timeoutMs / 1000} s`;
      return e.cause?.code ?? e.cause?.message ?? messageOf(err);
    }
  }

  private giveUp(alert: Alert, why: string): void {
    this.deps.onGivenUp?.();
    this.deps.logs.error.error(
      {
        event: 'alert_failed',
        alert: alert.body.event,
        kid: alert.body.kid,
        fire_id: alert.body.fire_id,
        url: alert.url,
        err: why,
      },
      `cannot send the ${alert.body.event} alert of task ${alert.body.kid} to ${hostOf(alert.url)}: ${why}`,
    );
  }
}

/** fetch refuses credentials in a URL: they go in an Authorization header instead. */
function withBasicAuth(raw: string): { url: string; headers: Record<string, string> } {
  const url = new URL(raw);
  if (url.username === '' && url.password === '') return { url: raw, headers: {} };
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return {
    url: url.toString(),
    headers: { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` },
  };
}

const hostOf = (raw: string): string => {
  try {
    return new URL(raw).host;
  } catch {
    return raw;
  }
};
