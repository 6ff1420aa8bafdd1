// The HTTP API inside the daemon (docs/web-api.md): GET or form POST on / with an action, the password
// and task fields; JSON replies {status, code, data, msg} whose code is the HTTP status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { httpStatusOf, KtimerError, messageOf } from '../errors.js';
import { type ActionDeps, knownActionName, runAction } from './actions.js';
import { AllowList, canonicalAddress } from './allow-list.js';
import { FleetLimit, lockedMessage, LoginGuard, type WrongPasswordCount } from './auth.js';
import { gateConnections } from './connection-gate.js';
import { HostCheck } from './host-check.js';
import { maskedUrl } from './masked-url.js';
import { oneLine } from '../text.js';
import {
  type HealthReport,
  type ObservabilityDeps,
  OBSERVABILITY_PATHS,
  observabilityReply,
  type RouteReply,
} from './metrics-route.js';
import { Dashboard, type DashboardDeps, isDashboardPath } from './dashboard/dashboard.js';
import {
  BadRequest,
  checkParams,
  type Params,
  parseUrlEncoded,
  readApplyBody,
  readForm,
  requestTarget,
} from './request.js';

/** What the API writes to error.log: a pino Logger, or one that hands lines to another thread. */
export interface ErrorLog {
  error(fields: object, msg: string): void;
}

export interface WebDeps extends ActionDeps {
  config: Config;
  /** /metrics and /healthz (metrics-route.ts); without them those paths are 404. */
  metrics?: () => Promise<string>;
  health?: () => Promise<HealthReport>;
  accessLog: Logger;
  errorLog: ErrorLog;
  /** The fleet's count of wrong passwords (in Redis); without it, each daemon counts its own. */
  wrongPasswords?: WrongPasswordCount;
  /** The dashboard at /ui: its built files, the runs stream and the sessions (web/dashboard/dashboard.ts). */
  dashboard: DashboardDeps;
}

export interface WebServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

interface Reply extends RouteReply {
  extra?: Record<string, unknown>;
}

/** Checks the config and listens; resolves once the server listens. */
export async function startWebServer(deps: WebDeps): Promise<WebServer> {
  const { config } = deps;
  if (config.web.passwd === '' && !config.web.allowEmptyPasswd) {
    throw new KtimerError(
      'config',
      `${config.file}: [web] web_passwd is empty, so the web API would be open to anyone allowed by web_allow_ip; ` +
        'run `ktimer init` to generate one, set web_allow_empty_passwd = 1, or set web_enable = 0',
    );
  }
  const limit = new FleetLimit(deps.wrongPasswords ?? null, config.web.wrongPasswdPerMinute);
  if (config.web.viewerPasswd !== '' && config.web.viewerPasswd === config.web.passwd)
    throw new KtimerError(
      'config',
      `${config.file}: [web] web_viewer_passwd is the same as web_passwd, so a viewer could change tasks; give it another value, or leave it empty`,
    );
  const guard = new LoginGuard({ admin: config.web.passwd, viewer: config.web.viewerPasswd }, limit);
  const dashboard = new Dashboard(
    { ...deps, errorLog: (msg) => deps.errorLog.error({ event: 'web_error', err: msg }, 'dashboard') },
    guard,
  );
  const server = createServer(SERVER_OPTIONS, answering(deps, requestHandler(deps, guard, dashboard)));
  server.maxConnections = 1024;
  gateConnections(server, new AllowList(config.web.allowIp), deps.accessLog);
  server.keepAliveTimeout = 5_000;
  // Nothing read nor written for this long, the socket is closed: a client that asks for a reply
  // and never reads it cannot keep its slot (the live feed writes every 15 s).
  server.timeout = IDLE_SOCKET_MS;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    answerClientError(err, socket, deps.accessLog);
  });
  await listen(server, config);
  return {
    host: config.web.bindIp,
    port: config.web.port,
    close: () =>
      new Promise<void>((resolve) => {
        dashboard.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// A client that sends its headers or body too slowly is cut off (checked every second).
const SERVER_OPTIONS = {
  requestTimeout: 10_000,
  headersTimeout: 5_000,
  maxHeaderSize: 16_384,
  connectionsCheckingInterval: 1_000,
};
const IDLE_SOCKET_MS = 30_000;

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  address: string,
  params: Params,
) => Promise<Reply | null>;

/** /metrics and /healthz, when the daemon gave what they answer with. */
function observabilityOf(deps: WebDeps, guard: LoginGuard): ObservabilityDeps | null {
  const { metrics, health, config } = deps;
  if (!metrics || !health) return null;
  const token = config.web.metricsToken;
  return {
    metrics,
    health,
    passwdGuard: guard,
    tokenGuard: token === '' ? null : new LoginGuard(token, guard.limit),
  };
}

// Path, method and password are checked before a byte of the body is read: a flood of bodies
// from anyone who does not know the password costs the daemon (and its firing) next to nothing.
// Null: the dashboard answered itself (a file, the live feed).
function requestHandler(deps: WebDeps, guard: LoginGuard, dashboard: Dashboard): Handler {
  const observability = observabilityOf(deps, guard);
  const hosts = new HostCheck(deps.config.web.bindIp, deps.config.web.hosts);
  return async (req, res, address, params) => {
    if (!hosts.allows(req.headers.host)) return fail(421, misdirected(req.headers.host ?? ''));
    if (req.method !== 'GET' && req.method !== 'POST') return fail(405, 'use GET or POST');
    const { path, query } = requestTarget(req);
    if (observability && OBSERVABILITY_PATHS.has(path)) {
      parseUrlEncoded(query, params);
      return observabilityReply(path, req, address, params, observability);
    }
    if (isDashboardPath(path)) return dashboard.handle(req, res, address, path, query, params);
    if (path !== '/') return fail(404, `no such path ${path.slice(0, 60)}; the API is at /`);
    parseUrlEncoded(query, params);
    return apiReply(req, address, params, deps, guard);
  };
}

const fail = (code: number, msg: string): Reply => ({ code, data: null, msg });

const misdirected = (host: string): string =>
  `Host ${JSON.stringify(oneLine(host, 80))} is not one this API answers to (its address, localhost, ` +
  'or a name of web_hosts in conf.ini); reach it by one of those, or add the name to web_hosts';

/** An action of the API on `/`, behind the password (the passwd parameter, or a Bearer credential). */
async function apiReply(
  req: IncomingMessage,
  address: string,
  params: Params,
  deps: WebDeps,
  guard: LoginGuard,
): Promise<Reply> {
  const bearer = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
  // The password may come in the query string or a header; only when it does not is the body read for it.
  const bodyHoldsPasswd = req.method === 'POST' && !params.has('passwd') && bearer === undefined;
  const verdict = await guard.check(address, async () => {
    if (bodyHoldsPasswd) await readForm(req, params);
    return params.get('passwd') ?? bearer;
  });
  if (verdict === 'locked') return fail(429, lockedMessage(guard.limit));
  if (verdict === 'wrong') return fail(401, 'wrong or missing passwd');
  if (req.method === 'POST' && !bodyHoldsPasswd) {
    if (params.get('action') === 'apply') await readApplyBody(req, params);
    else await readForm(req, params);
  }
  checkParams(params);
  const result = await runAction(params, deps, { via: 'api', role: verdict, address });
  return { code: 200, data: result.data, msg: result.msg, extra: result.extra };
}

/** The server's request listener: the handler's reply sent, and one line in webac.log. */
function answering(deps: WebDeps, handle: Handler) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const address = canonicalAddress(req.socket.remoteAddress ?? '');
    const params: Params = new Map();
    void handle(req, res, address, params)
      .catch((err: unknown) => errorReply(err, deps.errorLog))
      .then((reply) => {
        // A failure after the dashboard began its answer (a file, the feed) can only close it.
        if (reply && !res.headersSent) send(res, reply);
        else if (reply) res.destroy();
        deps.accessLog.info(
          {
            address,
            method: req.method,
            action: knownActionName(params.get('action')),
            status: res.statusCode,
            duration_ms: Math.round((performance.now() - started) * 10) / 10,
            url: maskedUrl(req.url),
          },
          'web request',
        );
      });
  };
}

/** How long a refused client has to take its reply before the socket is destroyed. */
const CLIENT_ERROR_LINGER_MS = 1_000;

/**
 * A request Node could not parse or that came too slowly: one JSON reply, then the socket is
 * destroyed. Ended is not gone: a client that never reads nor closes would keep an ended socket,
 * and its address's slot, open for good.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, accessLog: Logger): void {
  const [status, reason, msg] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request came too slowly']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the headers are over 16 KiB']
        : [400, 'Bad Request', 'malformed HTTP request'];
  if (socket.writable) {
    const body = JSON.stringify({ status: false, code: status, data: null, msg });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
    setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
  } else {
    socket.destroy();
  }
  accessLog.info(
    { address: (socket as { remoteAddress?: string }).remoteAddress, status, err: err.message },
    'malformed request',
  );
}

/** Listens on web_bind_ip:web_port, or says in one line why it cannot. */
function listen(server: Server, config: Config): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${config.web.bindIp}:${config.web.port}`;
      const why =
        err.code === 'EADDRINUSE'
          ? `address already in use; change web_port in ${config.file} or stop the program using it`
          : err.code === 'EADDRNOTAVAIL'
            ? `this machine has no address ${config.web.bindIp}; check web_bind_ip in ${config.file}`
            : `${err.code ?? err.message}; check [web] in ${config.file}`;
      reject(new KtimerError('daemon', `web API cannot listen on ${where}: ${why}`));
    });
    server.listen(config.web.port, config.web.bindIp, () => resolve());
  });
}

function errorReply(err: unknown, errorLog: ErrorLog): Reply {
  if (err instanceof BadRequest) return { code: err.status, data: null, msg: err.message };
  if (err instanceof KtimerError) {
    const code = httpStatusOf(err);
    if (code >= 500) errorLog.error({ event: 'web_error', err: err.message }, 'web API request failed');
    return { code, data: null, msg: err.message };
  }
  errorLog.error({ event: 'web_error', err: messageOf(err) }, 'web API internal error');
  return { code: 500, data: null, msg: 'internal error; see error.log' };
}

function send(res: ServerResponse, reply: Reply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.text) {
    res.statusCode = reply.code;
    res.setHeader('content-type', reply.text.contentType);
    res.setHeader('cache-control', 'no-store');
    res.end(reply.text.body);
    return;
  }
  const body = JSON.stringify({
    status: reply.code === 200,
    code: reply.code,
    data: reply.data,
    msg: reply.msg,
    ...reply.extra,
  });
  res.statusCode = reply.code;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  // A reply sent before the whole request came (a body refused or not needed) leaves the rest
  // of the upload unread: the connection is closed instead of reading it to keep it alive.
  if (!res.req.complete) res.setHeader('connection', 'close');
  res.end(body);
}
