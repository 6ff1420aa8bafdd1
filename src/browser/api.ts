// The page's calls: login and logout, and the API's actions under the session cookie with the
// CSRF token in a header (the server refuses a POST without it). A reply other than 2xx becomes
// an ApiError with the server's one-line message.

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

let csrf = '';
let onLoggedOut: () => void = () => {};

/** What to do when the server says the session is gone (show the login form). */
export function whenLoggedOut(fn: () => void): void {
  onLoggedOut = fn;
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
    if (res.status === 401 && path !== '/ui/login') onLoggedOut();
    throw new ApiError(res.status, body.msg);
  }
  return body;
}

const post = <T>(path: string, params: Record<string, string>) =>
  request<T>(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-ktimer-csrf': csrf },
    body: new URLSearchParams(params).toString(),
  });

/** Whether a session is open (the cookie is HttpOnly: only the server can say). */
export async function resumeSession(): Promise<boolean> {
  try {
    csrf = (await request<{ csrf: string }>('/ui/session')).data.csrf;
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === 401) return false;
    throw err;
  }
}

export async function login(passwd: string): Promise<void> {
  csrf = (await post<{ csrf: string }>('/ui/login', { passwd })).data.csrf;
}

export async function logout(): Promise<void> {
  await post('/ui/logout', {});
  csrf = '';
}

/** One action of the API; parameters left undefined are not sent. */
export function call<T>(action: string, params: Record<string, string | undefined> = {}): Promise<Reply<T>> {
  const given = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  return post<T>('/ui/api', { action, ...Object.fromEntries(given) });
}
