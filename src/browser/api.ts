// The page's calls: login and logout, and the API's actions under the session. The session's
// token is kept in sessionStorage, which only pages of this origin (scheme, host and port) can
// read, and sent in the x-ktimer-session header; the browser adds its cookie, a second factor
// that alone opens nothing. A new tab asks the open ones for the token (a BroadcastChannel,
// same-origin too) rather than log in again. A reply other than 2xx becomes an ApiError with the
// server's one-line message.

export interface Reply<T> {
  status: boolean;
  code: number;
  data: T;
  msg: string;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const STORAGE_KEY = 'ktimer-session';
const HEADER = 'x-ktimer-session';
/** How long a new tab waits for an open one to hand it the token. */
const ASK_TABS_MS = 150;

let onLoggedOut: () => void = () => {};
const tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('ktimer-session') : null;

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage refused (a privacy setting): a login per page load
  }
}

let token: string | null = storedToken();
/** Who is logged in: a viewer sees no control that changes anything (the server refuses them too). */
let role: 'admin' | 'viewer' = 'admin';

export const isViewer = (): boolean => role === 'viewer';
/** What applies to a task that sets none of its own (task_timeout), as the session said. */
let defaults: { task_timeout?: number } = {};
export const taskDefaults = (): { task_timeout?: number } => defaults;

/** What a login or a session's reply says of the daemon: its role and defaults. */
function learn(data: { role?: unknown; defaults?: unknown }): void {
  role = data.role === 'viewer' ? 'viewer' : 'admin';
  const timeout = (data.defaults as { task_timeout?: unknown } | undefined)?.task_timeout;
  defaults = typeof timeout === 'number' ? { task_timeout: timeout } : {};
}

function keepToken(value: string | null): void {
  token = value;
  try {
    if (value === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, value);
  } catch {
    // kept in memory only
  }
}

if (tabs)
  tabs.onmessage = (event: MessageEvent<unknown>) => {
    if (event.data === 'ask' && token !== null) tabs.postMessage({ token });
  };

/** The token of another open tab of this dashboard, if one answers in time. */
function tokenFromOtherTab(): Promise<string | null> {
  if (!tabs) return Promise.resolve(null);
  return new Promise((resolve) => {
    const listen = (event: MessageEvent<unknown>) => {
      const given = (event.data as { token?: unknown } | null)?.token;
      if (typeof given !== 'string') return;
      tabs.removeEventListener('message', listen);
      resolve(given);
    };
    tabs.addEventListener('message', listen);
    tabs.postMessage('ask');
    window.setTimeout(() => {
      tabs.removeEventListener('message', listen);
      resolve(null);
    }, ASK_TABS_MS);
  });
}

/** What to do when the server says the session is gone (show the login form). */
export function whenLoggedOut(fn: () => void): void {
  onLoggedOut = fn;
}

/** The session's header, for requests made elsewhere (the live feed). */
export function sessionHeaders(): Record<string, string> {
  return token === null ? {} : { [HEADER]: token };
}

/** The server said 401: the session is gone. */
export function sessionEnded(): void {
  keepToken(null);
  onLoggedOut();
}

async function request<T>(path: string, init: RequestInit = {}): Promise<Reply<T>> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', ...init });
  } catch {
    throw new ApiError(0, 'the daemon does not answer; is it running?');
  }
  let body: Reply<T>;
  try {
    body = (await res.json()) as Reply<T>;
  } catch {
    throw new ApiError(res.status, `unexpected answer (HTTP ${res.status})`);
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/ui/login') sessionEnded();
    throw new ApiError(res.status, body.msg);
  }
  return body;
}

const post = <T>(path: string, params: Record<string, string>) =>
  request<T>(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...sessionHeaders() },
    body: new URLSearchParams(params).toString(),
  });

/** Whether a session is open: this tab's, or one another tab hands over, if the server still holds it. */
export async function resumeSession(): Promise<boolean> {
  token ??= await tokenFromOtherTab();
  if (token === null) return false;
  try {
    const reply = await request<{ role?: unknown; defaults?: unknown }>('/ui/session', {
      headers: sessionHeaders(),
    });
    learn(reply.data);
    keepToken(token);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === 401) return false;
    throw err;
  }
}

export async function login(passwd: string): Promise<void> {
  const reply = await post<{ token: string; role?: unknown; defaults?: unknown }>('/ui/login', { passwd });
  learn(reply.data);
  keepToken(reply.data.token);
}

export async function logout(): Promise<void> {
  await post('/ui/logout', {});
  keepToken(null);
}

/** One action of the API; parameters left undefined are not sent. */
export function call<T>(action: string, params: Record<string, string | undefined> = {}): Promise<Reply<T>> {
  const given = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  return post<T>('/ui/api', { action, ...Object.fromEntries(given) });
}
