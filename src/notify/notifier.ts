// Alerts (docs/steering.md "Alerts"): when a task's run fails for good (after its retries)
// failure_threshold times in a row, or more, an alert (alert-body.ts) is POSTed as JSON to
// [notify] on_failure and given to on_failure_command (notify-command.ts); when such a task
// succeeds again, to on_recovery and on_recovery_command. A task with -notify=off sends none.
// Alerts go out in the background, a few at once: a slow or failing receiver never holds up the
// loop or a fire. A POST that fails is tried again twice, a command is run once; then the alert
// is given up and logged in error.log.
import type { Config } from '../config/config.js';
import { messageOf } from '../errors.js';
import { type AlertBody, type AlertEvent, alertBody, type Masker, type RecordedRun } from './alert-body.js';
import { runNotifyCommand } from './notify-command.js';

export type { AlertBody, AlertEvent, RecordedRun } from './alert-body.js';

export interface NotifierDeps {
  notify: Config['notify'];
  /** This machine, as records name it. */
  host: string;
  /** Where notify commands run: the directory of conf.ini. */
  cwd: string;
  /** Masks URL credentials and -env values in what an alert shows (the daemon's log masking). */
  mask: Masker;
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

/** Where an alert goes: a URL (POST), or a local command. */
type Target = { url: string } | { command: string };

interface Alert {
  target: Target;
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
  runRecorded(run: RecordedRun, streak: number): void {
    if (run.task.notify === 'off') return;
    const n = this.deps.notify;
    if (streak >= n.failureThreshold) this.send(run, 'failure', streak, [n.onFailure, n.onFailureCommand]);
    else if (-streak >= n.failureThreshold)
      this.send(run, 'recovery', -streak, [n.onRecovery, n.onRecoveryCommand]);
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

  /** The alert to its URL and its command, where set. */
  private send(run: RecordedRun, event: AlertEvent, count: number, [url, command]: [string, string]): void {
    if (url === '' && command === '') return;
    const body = alertBody(run, event, count, this.deps.host, this.deps.mask);
    if (url !== '') this.enqueue({ target: { url }, body });
    if (command !== '') this.enqueue({ target: { command }, body });
  }

  private enqueue(alert: Alert): void {
    if (this.queue.length >= MAX_QUEUED) {
      const dropped = this.queue.shift();
      this.giveUp(dropped as Alert, 'too many alerts waiting (the receiver is slow or down)');
    }
    this.queue.push(alert);
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
    const { target } = alert;
    // A command is run once: a mail half sent is not sent again.
    const waits = 'url' in target ? (this.deps.retryWaitsMs ?? RETRY_WAITS_MS) : [];
    let why = '';
    for (let attempt = 0; attempt <= waits.length; attempt++) {
      if (attempt > 0) {
        if (this.closing) break;
        await new Promise((r) => setTimeout(r, waits[attempt - 1]));
      }
      why =
        'url' in target
          ? await this.post(target.url, alert.body)
          : await runNotifyCommand(
              { command: target.command, cwd: this.deps.cwd, timeoutMs: this.deps.notify.timeoutMs },
              alert.body,
            );
      if (why === '') {
        this.deps.logs.runed.info(
          {
            event: 'alert',
            alert: alert.body.event,
            kid: alert.body.kid,
            fire_id: alert.body.fire_id,
            ...whereTo(target),
          },
          `${alert.body.event} alert sent`,
        );
        return;
      }
    }
    this.giveUp(alert, why);
  }

  /** '' when the receiver took it (2xx), else why not. */
  private async post(to: string, body: AlertBody): Promise<string> {
    const { url, headers } = withBasicAuth(to);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ktimer', ...headers },
        body: JSON.stringify(body),
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
    const { event, kid, fire_id } = alert.body;
    const to = 'url' in alert.target ? hostOf(alert.target.url) : 'its command';
    this.deps.logs.error.error(
      { event: 'alert_failed', alert: event, kid, fire_id, ...whereTo(alert.target), err: why },
      `cannot send the ${event} alert of task ${kid} to ${to}: ${why}`,
    );
  }
}

/** Where an alert went, for the log lines (the logs mask a URL's credentials). */
const whereTo = (target: Target): Record<string, string> =>
  'url' in target ? { url: target.url } : { command: target.command };

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
