// The dashboard at /ui (README "Dashboard"): its page and files, login and logout, the actions
// of the API under a session cookie and a CSRF token instead of passwd, and the live feed.
// The actions are the API's own (actions.ts): same checks, same messages, same replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { actionOf, type ActionDeps } from '../actions.js';
import type { LoginGuard } from '../auth.js';
import { MAX_UNCHECKED_PER_ADDRESS } from '../auth.js';
import { BadRequest, checkParams, type Params, parseUrlEncoded, readForm } from '../request.js';
import { DashboardAssets } from './assets.js';
import { LiveRuns, type RunSource } from './live-runs.js';
import {
  cookieValue,
  csrfMatches,
  LOGINS_PER_MINUTE,
  type Session,
  SESSION_IDLE_MS,
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
const CSRF_HEADER = 'x-ktimer-csrf';

export const isDashboardPath = (path: string): boolean => path === '/ui' || path.startsWith('/ui/');

const fail = (code: number, msg: string): DashboardReply => ({ code, data: null, msg });

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
    const file = STATIC[path];
    const route = file !== undefined ? 'file' : path.slice('/ui/'.length);
    const method = route === 'file' || route === 'session' || route === 'live' ? 'GET' : 'POST';
    if (!['file', 'session', 'live', 'login', 'logout', 'api'].includes(route))
      return fail(404, `no such path ${path.slice(0, 60)}; the dashboard is at /ui`);
    if (req.method !== method) return fail(405, `use ${method} on ${path}`);
    if (method === 'POST' && !sameOrigin(req)) return fail(403, 'cross-origin request refused');
    if (file !== undefined) {
      if (this.assets.missing !== null) return fail(503, this.assets.missing);
      this.assets.serve(file, req, res);
      return null;
    }
    if (route === 'login') return this.login(req, res, address, params);
    // Redis away: the session cannot be read, and the request gets the API's 503 with its reason
    // (web-server.ts errorReply), never a 401 that would log the browser out.
    const cookie = await this.sessions.cookieName();
    const token = cookieValue(req.headers.cookie, cookie);
    const session = await this.sessions.find(token);
    if (!session || token === undefined)
      return fail(401, 'not logged in, or the session ended; log in again');
    if (route === 'session') return { code: 200, data: { csrf: session.csrf }, msg: 'ok' };
    if (route === 'live') {
      await streamRuns(res, this.live, () => this.sessions.holds(token));
      return null;
    }
    // Every POST with a session: the CSRF token in its header, checked before the body is read.
    if (!csrfMatches(session, headerOf(req, CSRF_HEADER)))
      return fail(403, `the ${CSRF_HEADER} header is missing or wrong; reload the page`);
    if (route === 'logout') {
      await this.sessions.end(token);
      res.setHeader('set-cookie', cookieHeader(cookie, '', 0));
      return { code: 200, data: null, msg: 'logged out' };
    }
    return this.action(req, query, params);
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
    if (verdict === 'busy')
      return fail(
        429,
        `too many logins from ${address} being checked (${MAX_UNCHECKED_PER_ADDRESS} at most); retry later`,
      );
    if (verdict === 'wrong') return fail(401, 'wrong password');
    const cookie = await this.sessions.cookieName();
    const opened = await this.sessions.open();
    if (opened === 'busy')
      return fail(
        429,
        `too many logins across the daemons this minute (${LOGINS_PER_MINUTE} at most); retry later`,
      );
    res.setHeader('set-cookie', cookieHeader(cookie, opened.token, SESSION_IDLE_MS / 1000));
    return loggedIn(opened.session);
  }

  private async action(req: IncomingMessage, query: string, params: Params): Promise<DashboardReply> {
    parseUrlEncoded(query, params);
    await readForm(req, params);
    if (params.has('passwd'))
      throw new BadRequest(400, 'parameter passwd is not taken here: the session stands in for it');
    checkParams(params);
    const result = await actionOf(params)(params, this.deps);
    return { code: 200, data: result.data, msg: result.msg, extra: result.extra };
  }
}

// The cookie's name is the fleet's (sessions.ts cookieName): every daemon on one Redis reads the
// same cookie, and fleets on other Redis servers (or lock keys) reached on one host keep theirs
// apart. Secure is left out: the API is plain HTTP (put TLS in front and it could be added).
function cookieHeader(name: string, value: string, maxAgeSec: number): string {
  return `${name}=${value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}`;
}

const loggedIn = (session: Session): DashboardReply => ({
  code: 200,
  data: { csrf: session.csrf },
  msg: 'ok',
});

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
