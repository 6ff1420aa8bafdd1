// The HTTP API inside the daemon (spec §8): GET or form POST on / with an action, the password
// and task fields; JSON replies {status, code, data, msg} whose code is the HTTP status.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { httpStatusOf, KtimerError, messageOf } from '../errors.js';
import type { TaskService } from '../service/task-service.js';
import { actionOf } from './actions.js';
import { AllowList, canonicalAddress } from './allow-list.js';
import { FailureThrottle, passwordMatches } from './auth.js';
import { BadRequest, type Params, readParams } from './request.js';

export interface WebDeps {
  config: Config;
  service: TaskService;
  info: () => Promise<Record<string, unknown>>;
  accessLog: Logger;
  errorLog: Logger;
}

export interface WebServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

const KNOWN_PARAMS = new Set([
  'action',
  'passwd',
  'type',
  'time',
  'limit',
  'command',
  'kid',
  'starttime',
  'endtime',
  'offset',
  'count',
  'cursor',
]);

interface Reply {
  code: number;
  data: unknown;
  msg: string;
  extra?: Record<string, unknown>;
}

export async function startWebServer(deps: WebDeps): Promise<WebServer> {
  const { config } = deps;
  if (config.web.passwd === '' && !config.web.allowEmptyPasswd) {
    throw new KtimerError(
      'config',
      `${config.file}: [web] web_passwd is empty, so the web API would be open to anyone allowed by web_allow_ip; ` +
        'run `ktimer init` to generate one, set web_allow_empty_passwd = 1, or set web_enable = 0',
    );
  }
  const allow = new AllowList(config.web.allowIp);
  const throttle = new FailureThrottle();

  const handle = async (
    req: IncomingMessage,
    address: string,
  ): Promise<{ reply: Reply; action?: string }> => {
    if (!allow.allows(address)) {
      return { reply: { code: 401, data: null, msg: `address ${address} is not allowed (web_allow_ip)` } };
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      return { reply: { code: 405, data: null, msg: 'use GET or POST' } };
    }
    const { path, params } = await readParams(req);
    if (path !== '/')
      return { reply: { code: 404, data: null, msg: `no such path ${path.slice(0, 60)}; the API is at /` } };
    const action = params.get('action')?.slice(0, 40);
    const delay = throttle.delayMs(address);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (!passwordMatches(config.web.passwd, params.get('passwd'))) {
      throttle.fail(address);
      return { reply: { code: 401, data: null, msg: 'wrong or missing passwd' }, action };
    }
    throttle.succeed(address);
    checkParams(params);
    const result = await actionOf(params)(params, deps);
    return { reply: { code: 200, data: result.data, msg: result.msg, extra: result.extra }, action };
  };

  const server = createServer(
    // A client that sends its headers or body too slowly is cut off (checked every second).
    {
      requestTimeout: 10_000,
      headersTimeout: 5_000,
      maxHeaderSize: 16_384,
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      const started = performance.now();
      const address = canonicalAddress(req.socket.remoteAddress ?? '');
      handle(req, address)
        .catch((err: unknown) => ({ reply: errorReply(err, deps.errorLog), action: undefined }))
        .then(({ reply, action }) => {
          send(res, reply);
          deps.accessLog.info(
            {
              address,
              method: req.method,
              action,
              status: reply.code,
              duration_ms: Math.round((performance.now() - started) * 10) / 10,
              url: masked(req.url),
            },
            'web request',
          );
        });
    },
  );
  server.maxConnections = 1024;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
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
      );
    } else {
      socket.destroy();
    }
    deps.accessLog.info(
      {
        address: (socket as { remoteAddress?: string }).remoteAddress,
        status,
        err: (err as Error).message,
      },
      'malformed request',
    );
  });

  await new Promise<void>((resolve, reject) => {
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
  return {
    host: config.web.bindIp,
    port: config.web.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function checkParams(params: Params): void {
  for (const key of params.keys()) {
    if (!KNOWN_PARAMS.has(key)) throw new BadRequest(400, `parameter ${key.slice(0, 40)} is unknown`);
  }
}

function errorReply(err: unknown, errorLog: Logger): Reply {
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
  // After a refused body the rest of the upload is not read: close the connection.
  if (reply.code === 413) res.setHeader('connection', 'close');
  res.end(body);
}

/** The URL as logged: the password never appears. */
export function masked(url: string | undefined): string {
  return (url ?? '').slice(0, 2000).replace(/([?&]passwd=)[^&]*/gi, '$1***');
}
