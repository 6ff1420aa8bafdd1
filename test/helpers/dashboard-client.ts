// Plain HTTP calls to the dashboard's server side (/ui), as a browser would make them: a
// session cookie, the CSRF header, a form body. Headers and text come back as they are.
import assert from 'node:assert/strict';
import { request } from 'node:http';

export interface UiCall {
  method?: 'GET' | 'POST' | 'PUT';
  cookie?: string;
  csrf?: string;
  /** A form body (urlencoded). */
  form?: Record<string, string>;
  origin?: string;
  localAddress?: string;
}

export interface UiReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The JSON body, when it is JSON. */
  json: { status: boolean; code: number; data: unknown; msg: string; [k: string]: unknown } | null;
}

export function uiCall(port: number, path: string, opts: UiCall = {}): Promise<UiReply> {
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf) headers['x-ktimer-csrf'] = opts.csrf;
  if (opts.origin) headers.origin = opts.origin;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers,
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

/** Logs in: the cookie to send back (name=value) and the CSRF token. */
export async function uiLogin(
  port: number,
  passwd: string,
): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const reply = await uiCall(port, '/ui/login', { method: 'POST', form: { passwd } });
  const setCookie = [reply.headers['set-cookie'] ?? []].flat()[0];
  if (reply.status !== 200 || setCookie === undefined)
    throw new Error(`login failed: ${reply.status} ${reply.text}`);
  const csrf = (reply.json?.data as { csrf: string }).csrf;
  return { cookie: setCookie.split(';')[0] as string, csrf, setCookie };
}

/** Asserts that daemon `port` refuses the session: no session read, no action taken (401 each). */
export async function assertSessionRefused(
  port: number,
  session: { cookie: string; csrf: string },
): Promise<void> {
  assert.equal((await uiCall(port, '/ui/session', { cookie: session.cookie })).status, 401, '/ui/session');
  const action = await uiCall(port, '/ui/api', { method: 'POST', ...session, form: { action: 'count' } });
  assert.equal(action.status, 401, `/ui/api: ${action.text}`);
}
