// Plain HTTP calls to the dashboard's server side (/ui), as a browser would make them: the
// session's token in its header, the browser's cookie, a form body. Headers and text come back as
// they are.
import assert from 'node:assert/strict';
import { request } from 'node:http';

export interface UiCall {
  method?: 'GET' | 'POST' | 'PUT';
  /** The session's token (x-ktimer-session). */
  token?: string;
  /** A Cookie header (name=value). */
  cookie?: string;
  /** A form body (urlencoded). */
  form?: Record<string, string>;
  origin?: string;
  host?: string;
  localAddress?: string;
}

export interface UiReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The JSON body, when it is JSON. */
  json: { status: boolean; code: number; data: unknown; msg: string; [k: string]: unknown } | null;
}

/** A logged-in browser: the session's token, and the cookie it sends back. */
export interface UiSession {
  token: string;
  cookie: string;
}

export function uiHeaders(opts: UiCall, body: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (opts.token) headers['x-ktimer-session'] = opts.token;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.origin) headers.origin = opts.origin;
  if (opts.host) headers.host = opts.host;
  return headers;
}

export function uiCall(port: number, path: string, opts: UiCall = {}): Promise<UiReply> {
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: uiHeaders(opts, body),
        localAddress: opts.localAddress,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          let json: UiReply['json'] = null;
          try {
            json = JSON.parse(text) as UiReply['json'];
          } catch {
            // not JSON: a page, a script
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Logs in (with the browser's cookie already, if given): the token, the cookie to send back, and the Set-Cookie header. */
export async function uiLogin(
  port: number,
  passwd: string,
  cookie?: string,
): Promise<UiSession & { setCookie: string }> {
  const reply = await uiCall(port, '/ui/login', { method: 'POST', form: { passwd }, cookie });
  const setCookie = [reply.headers['set-cookie'] ?? []].flat()[0];
  if (reply.status !== 200 || setCookie === undefined)
    throw new Error(`login failed: ${reply.status} ${reply.text}`);
  const { token } = reply.json?.data as { token: string };
  return { token, cookie: setCookie.split(';')[0] as string, setCookie };
}

/** Asserts that daemon `port` refuses the session: no session read, no action taken (401 each). */
export async function assertSessionRefused(port: number, session: UiSession): Promise<void> {
  assert.equal((await uiCall(port, '/ui/session', session)).status, 401, '/ui/session');
  const action = await uiCall(port, '/ui/api', { method: 'POST', ...session, form: { action: 'count' } });
  assert.equal(action.status, 401, `/ui/api: ${action.text}`);
}

/** Opens the live feed of `session`: the response once its head came, and what it has sent so far. */
export function openFeed(
  port: number,
  session: Partial<UiSession>,
): Promise<{
  status: number;
  type: string | undefined;
  chunks: string[];
  ended: Promise<void>;
  close: () => void;
}> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/ui/live',
      headers: uiHeaders(session, undefined),
    });
    req.on('response', (res) => {
      const chunks: string[] = [];
      res.setEncoding('utf8').on('data', (c: string) => chunks.push(c));
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
      });
      resolve({
        status: res.statusCode ?? 0,
        type: res.headers['content-type'],
        chunks,
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
