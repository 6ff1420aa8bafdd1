// Runs a URL task (README "The daemon"): GET with kid and timer_id added to the query; a kt_post=JSON
// object turns it into a form POST of those fields; 30 s timeout; status and body head kept.
// Requests go through undici (README "Dependencies"): a URL burst makes thousands of requests a
// second on the daemon's main thread, and undici's costs about half of what node:http's does.
import { Agent, request } from 'undici';
import { VERSION } from '../version.js';
import { emptyResult, type FireRequest, type RunningTask, type RunResult } from './run-result.js';

const MAX_TIMEOUT_MS = 30_000;
const BODY_HEAD_BYTES = 1024;

// One keep-alive pool for all tasks: a burst reuses its connections (up to 1024 per origin, as
// many as the URL concurrency lets run at once by default).
const agent = new Agent({ connections: 1024, keepAliveTimeout: 4000 });

export interface UrlCall {
  url: URL;
  /** The form body for POST, or null for GET. */
  form: string | null;
}

/** The request a URL task makes: kt_post removed and turned into a form, kid and timer_id added. */
export function urlCall(command: string, kid: string): UrlCall {
  const url = new URL(command);
  const post = url.searchParams.get('kt_post');
  let form: string | null = null;
  if (post !== null) {
    url.searchParams.delete('kt_post');
    const fields = JSON.parse(post) as Record<string, unknown>;
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) {
      body.append(key, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
    }
    form = body.toString();
  }
  url.searchParams.append('kid', kid);
  url.searchParams.append('timer_id', kid);
  return { url, form };
}

export function runUrl(req: FireRequest): RunningTask {
  const startedMs = Date.now();
  const timeoutMs = Math.min(req.timeoutMs || MAX_TIMEOUT_MS, MAX_TIMEOUT_MS);
  const done = (r: Partial<RunResult>): RunResult => ({
    ...emptyResult('url'),
    durationMs: Date.now() - startedMs,
    ...r,
  });
  let call: UrlCall;
  try {
    call = urlCall(req.command, req.kid);
  } catch (err) {
    return {
      result: Promise.resolve(done({ error: `bad URL task: ${(err as Error).message}` })),
      kill: () => {},
    };
  }
  const headers: Record<string, string> = { 'user-agent': `ktimer/${VERSION}` };
  if (call.form !== null) headers['content-type'] = 'application/x-www-form-urlencoded';
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const result = request(call.url, {
    method: call.form === null ? 'GET' : 'POST',
    headers,
    body: call.form ?? undefined,
    dispatcher: agent,
    signal: controller.signal,
  })
    .then(
      ({ statusCode: status, body }) =>
        new Promise<RunResult>((resolve) => {
          const head: Buffer[] = [];
          let size = 0;
          body.on('data', (chunk: Buffer) => {
            if (size < BODY_HEAD_BYTES) head.push(chunk.subarray(0, BODY_HEAD_BYTES - size));
            size += chunk.length;
          });
          const end = (): void =>
            resolve(
              done({
                ok: status >= 200 && status < 400,
                httpStatus: status,
                output: Buffer.concat(head).toString('utf8'),
                error: status >= 400 ? `HTTP ${status}` : null,
              }),
            );
          body.on('end', end);
          body.on('error', end);
        }),
    )
    .catch((err: unknown) => {
      const why = timedOut ? `no answer within ${timeoutMs} ms` : errorText(err);
      return done({ timedOut, error: `${call.url.origin}: ${why}` });
    })
    .finally(() => clearTimeout(timer));
  return { result, kill: () => controller.abort() };
}

/** What went wrong with a request, with the system's code (ECONNREFUSED, ...) where there is one. */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause : null;
  const code = (err as { code?: unknown }).code ?? (cause as { code?: unknown } | null)?.code;
  const message = cause && err.message === 'fetch failed' ? cause.message : err.message;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
