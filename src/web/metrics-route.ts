// /metrics (Prometheus text) and /healthz (a probe's 200 or 503) beside the API
// (docs/metrics-and-health.md). Both sit behind web_allow_ip like the API, which closes other addresses'
// connections before a byte is read. /metrics also needs `Authorization: Bearer <metrics_token>`
// or the API's passwd (in the query string, never a body); /healthz needs no password: it tells
// nothing a probe should not know.
import type { IncomingMessage } from 'node:http';
import { lockedMessage, type LoginGuard } from './auth.js';
import { BadRequest, type Params } from './request.js';

/** The content type of Prometheus' text format 0.0.4, as prom-client writes it. */
export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** What /healthz tells: healthy or not, the reason, and what it was judged on. */
export interface HealthReport {
  healthy: boolean;
  reason: string | null;
  [detail: string]: unknown;
}

export interface ObservabilityDeps {
  /** The Prometheus text of the daemon's metrics. */
  metrics: () => Promise<string>;
  health: () => Promise<HealthReport>;
  /** Checks web_passwd (the API's guard: one slow-down for both). */
  passwdGuard: LoginGuard;
  /** Checks metrics_token; null when none is set. */
  tokenGuard: LoginGuard | null;
}

/** A reply of these routes: JSON as the API's, or a text body. */
export interface RouteReply {
  code: number;
  data: unknown;
  msg: string;
  text?: { contentType: string; body: string };
  headers?: Record<string, string>;
}

export const OBSERVABILITY_PATHS: ReadonlySet<string> = new Set(['/metrics', '/healthz']);

/** Answers /metrics or /healthz; `params` holds the query string's parameters. */
export async function observabilityReply(
  path: string,
  req: IncomingMessage,
  address: string,
  params: Params,
  deps: ObservabilityDeps,
): Promise<RouteReply> {
  for (const key of params.keys())
    if (key !== 'passwd') throw new BadRequest(400, `parameter ${key.slice(0, 40)} is unknown here`);
  if (path === '/healthz') {
    const report = await deps.health();
    return report.healthy
      ? { code: 200, data: report, msg: 'ok' }
      : { code: 503, data: report, msg: report.reason ?? 'unhealthy' };
  }
  const verdict = await checkScraper(req, address, params, deps);
  if (verdict === 'locked') return { code: 429, data: null, msg: lockedMessage(deps.passwdGuard.limit) };
  if (verdict === 'wrong')
    return {
      code: 401,
      data: null,
      msg: deps.tokenGuard
        ? 'wrong or missing credentials; send Authorization: Bearer <metrics_token>, or passwd'
        : 'wrong or missing passwd (or set metrics_token in [web] and send it as a Bearer token)',
      headers: { 'www-authenticate': 'Bearer realm="ktimer"' },
    };
  return {
    code: 200,
    data: null,
    msg: 'ok',
    text: { contentType: PROMETHEUS_TEXT, body: await deps.metrics() },
  };
}

/** A Bearer token is checked against metrics_token; otherwise the passwd parameter against web_passwd. */
function checkScraper(
  req: IncomingMessage,
  address: string,
  params: Params,
  deps: ObservabilityDeps,
): ReturnType<LoginGuard['check']> {
  const bearer = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
  if (bearer !== undefined && !params.has('passwd')) {
    // No token set: a Bearer credential cannot be right (web_passwd goes as passwd).
    const guard = deps.tokenGuard ?? deps.passwdGuard;
    return guard.check(address, async () => (deps.tokenGuard ? bearer : undefined));
  }
  return deps.passwdGuard.check(address, async () => params.get('passwd'));
}
