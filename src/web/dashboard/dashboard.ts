// The dashboard at /ui (docs/dashboard.md, docs/security.md): its page and files, login and
// logout, the actions of the API under a session instead of passwd, and the live feed. A session
// is proved by its token in the x-ktimer-session header (which only the page of this origin holds)
// together with the browser's cookie; neither alone opens anything.
// The actions are the API's own (actions.ts): same checks, same messages, same replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ActionDeps, runAction } from '../actions.js';
import { lockedMessage, type LoginGuard } from '../auth.js';
import { BadRequest, checkParams, type Params, parseUrlEncoded, readForm } from '../request.js';
import { DashboardAssets } from './assets.js';
import { LiveRuns, type RunSource } from './live-runs.js';
import {
  BROWSER_COOKIE,
  cookieValue,
  type Credentials,
  LOGINS_PER_MINUTE,
  SESSION_HEADER,
  type SessionStore,
} from './sessions.js';
import { streamRuns } from './live-stream.js';

/** What the dashboard is given besides the API's actions. */
export interface DashboardDeps {
  /** Where the built page and its files are (dist/bundle/ui). */
  assetsDir: string;
  /** The runs stream, followed for the live feed. */
  runFeed: RunSource;
  /** The login sessions, in Redis: shared by every daemon on it (sessions.ts). */
  sessions: SessionStore;
  /** How long the browser keeps its cookie: a session's lifetime (web_session_lifetime). */
  cookieMaxAgeSec: number;
}

export interface DashboardReply {
  code: number;
  data: unknown;
  msg: string;
  extra?: Record<string, unknown>;
}

const STATIC: Record<string, string> = {
  '/ui': 'index.html',
  '/ui/': 'index.html',
  '/ui/app.js': 'app.js',
  '/ui/app.css': 'app.css',
};
type Route = 'file' | 'session' | 'live' | 'login' | 'logout' | 'api';
const ROUTES: ReadonlySet<string> = new Set(['session', 'live', 'login', 'logout', 'api']);

export const isDashboardPath = (path: string): boolean => path === '/ui' || path.startsWith('/ui/');

const fail = (code: number, msg: string): DashboardReply => ({ code, data: null, msg });

function routeOf(path: string): Route | null {
  if (STATIC[path] !== undefined) return 'file';
  const name = path.slice('/ui/'.length);
  return ROUTES.has(name) ? (name as Route) : null;
}

export class Dashboard {
  private readonly assets: DashboardAssets;
  private readonly sessions: SessionStore;
  private readonly live: LiveRuns;

  constructor(
    private readonly deps: ActionDeps & { dashboard: DashboardDeps; errorLog: (msg: string) => void },
    private readonly guard: LoginGuard,
  ) {
    this.assets = new DashboardAssets(deps.dashboard.assetsDir);
    this.live = new LiveRuns(deps.dashboard.runFeed, deps.errorLog);
    this.sessions = deps.dashboard.sessions;
  }

  close(): void {
    this.live.close();
  }

  /** Answers a request under /ui: a JSON reply to send, or null when it answered itself. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    address: string,
    path: string,
    query: string,
    params: Params,
  ): Promise<DashboardReply | null> {
    const route = routeOf(path);
    if (route === null) return fail(404, `no such path ${path.slice(0, 60)}; the dashboard is at /ui`);
    const method = route === 'file' || route === 'session' || route === 'live' ? 'GET' : 'POST';
    if (req.method !== method) return fail(405, `use ${method} on ${path}`);
    if (method === 'POST' && !sameOrigin(req)) return fail(403, 'cross-origin request refused');
    if (route === 'file') {
      if (this.assets.missing !== null) return fail(503, this.assets.missing);
      this.assets.serve(STATIC[path] ?? '', req, res);
      return null;
    }
    if (route === 'login') return this.login(req, res, address, params);
    return this.withSession(route, req, res, address, query, params);
  }

  /** A route behind a session. */
  private async withSession(
    route: Exclude<Route, 'file' | 'login'>,
    req: IncomingMessage,
    res: ServerResponse,
    address: string,
    query: string,
    params: Params,
  ): Promise<DashboardReply | null> {
    const credentials = credentialsOf(req);
    // Redis away: the session cannot be read, and the request gets the API's 503 with its reason
    // (web-server.ts errorReply), never a 401 that would log the browser out.
    const session = await this.sessions.find(credentials, true);
    if (!session) return fail(401, 'not logged in, or the session ended; log in again');
    if (route === 'session')
      return {
        code: 200,
        data: {
          ends_at_ms: session.endsAtMs,
          role: session.role,
          defaults: this.deps.service.defaults(),
        },
        msg: 'ok',
      };
    if (route === 'live') {
      await streamRuns(res, this.live, async () => (await this.sessions.find(credentials, false)) !== null);
      return null;
    }
    if (route === 'logout') {
      await this.sessions.end(credentials.token ?? '');
      return { code: 200, data: null, msg: 'logged out' };
    }
    return this.action(req, query, params, { via: 'dashboard', role: session.role, address });
  }

  private async login(
    req: IncomingMessage,
    res: ServerResponse,
    address: string,
    params: Params,
  ): Promise<DashboardReply> {
    // The API's guard: one slow-down of wrong passwords from an address, whichever door it tries.
    const verdict = await this.guard.check(address, async () => {
      await readForm(req, params);
      return params.get('passwd');
    });
    if (verdict === 'locked') return fail(429, lockedMessage(this.guard.limit));
    if (verdict === 'wrong') return fail(401, 'wrong password');
    // The tasks list is the page's first request after this: its read of every task starts now.
    void this.deps.board.warm();
    const opened = await this.sessions.open(cookieValue(req.headers.cookie, BROWSER_COOKIE), verdict);
    if (opened === 'busy')
      return fail(
        429,
        `too many logins across the daemons this minute (${LOGINS_PER_MINUTE} at most); retry later`,
      );
    res.setHeader('set-cookie', browserCookie(opened.browser, this.deps.dashboard.cookieMaxAgeSec));
    return {
      code: 200,
      data: {
        token: opened.token,
        ends_at_ms: opened.session.endsAtMs,
        role: verdict,
        defaults: this.deps.service.defaults(),
      },
      msg: 'ok',
    };
  }

  private async action(
    req: IncomingMessage,
    query: string,
    params: Params,
    who: Parameters<typeof runAction>[2],
  ): Promise<DashboardReply> {
    parseUrlEncoded(query, params);
    await readForm(req, params);
    if (params.has('passwd'))
      throw new BadRequest(400, 'parameter passwd is not taken here: the session stands in for it');
    checkParams(params);
    const result = await runAction(params, this.deps, who);
    return { code: 200, data: result.data, msg: result.msg, extra: result.extra };
  }
}

// The browser's secret, the same for every fleet it logs in to on this host (a login reuses it):
// logging in or out of one never disturbs a session of another. Secure is left out: the API is
// plain HTTP (put TLS in front and it could be added).
function browserCookie(value: string, maxAgeSec: number): string {
  return `${BROWSER_COOKIE}=${value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}`;
}

function credentialsOf(req: IncomingMessage): Credentials {
  return { token: headerOf(req, SESSION_HEADER), browser: cookieValue(req.headers.cookie, BROWSER_COOKIE) };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? undefined : value;
}

/** A browser names the page a POST comes from: one of another site is refused (login CSRF too). */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = headerOf(req, 'origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
