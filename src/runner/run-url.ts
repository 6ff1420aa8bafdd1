// Runs a URL task (docs/running-tasks.md): GET with kid and timer_id added to the query; a kt_post=JSON
// object turns it into a form POST of those fields; a timeout (30 s unless the task or task_timeout
// says less, or the task more: fireTimeoutMs); the status, and the body as the run's stdout
// (bounded by outputMax as a command's, and live to a listener). A call in flight dies with its
// daemon: the connection closes with the process.
import http from 'node:http';
import https from 'node:https';
import { VERSION } from '../version.js';
import { LiveBatcher } from './live-output.js';
import { BoundedOutput } from './output-capture.js';
import {
  emptyResult,
  type FireRequest,
  OUTPUT_MAX_DEFAULT,
  type OutputListener,
  type RunningTask,
  type RunnerResult,
  URL_TIMEOUT_MS,
} from './runner-result.js';

const BODY_HEAD_BYTES = 1024;

// One keep-alive pool per protocol for all tasks: a burst reuses connections. As many kept idle
// as may be open: with fewer, a burst of 1,000 at once closed and opened connections all along
// (a connect costs more than a request).
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 1024 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 1024 }),
};

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

/** The request's options: the method its form decides, the user agent, the kept-alive pool. */
function requestOptions(call: UrlCall): http.RequestOptions {
  const headers: http.OutgoingHttpHeaders = { 'user-agent': `ktimer/${VERSION}` };
  if (call.form !== null) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = Buffer.byteLength(call.form);
  }
  const protocol = call.url.protocol as keyof typeof agents;
  return { method: call.form === null ? 'GET' : 'POST', headers, agent: agents[protocol] };
}

/** Reads an answer: its status, the body's first 1 KiB (`output`), the body bounded (`stdout`). */
function readAnswer(
  res: http.IncomingMessage,
  req: FireRequest,
  onOutput: OutputListener | undefined,
  finish: (r: Partial<RunnerResult>) => void,
): void {
  const status = res.statusCode ?? 0;
  const head: Buffer[] = [];
  let size = 0;
  const body = new BoundedOutput(req.outputMax ?? OUTPUT_MAX_DEFAULT);
  const live = onOutput ? new LiveBatcher(onOutput) : null;
  res.on('data', (chunk: Buffer) => {
    if (size < BODY_HEAD_BYTES) head.push(chunk.subarray(0, BODY_HEAD_BYTES - size));
    size += chunk.length;
    body.push(chunk);
    live?.push('stdout', chunk);
  });
  const end = (): void => {
    live?.flush();
    finish({
      ok: status >= 200 && status < 400,
      httpStatus: status,
      output: Buffer.concat(head).toString('utf8'),
      stdout: body.text(),
      error: status >= 400 ? `HTTP ${status}` : null,
    });
  };
  res.on('end', end);
  res.on('error', () => end());
  res.on('aborted', () => end());
}

/** Calls the URL of `req`; `onOutput` gets the body as it comes (the live tail). */
export function runUrl(req: FireRequest, onOutput?: OutputListener): RunningTask {
  const startedMs = Date.now();
  const timeoutMs = req.timeoutMs > 0 ? req.timeoutMs : URL_TIMEOUT_MS;
  const done = (r: Partial<RunnerResult>): RunnerResult => ({
    ...emptyResult('url'),
    durationMs: Date.now() - startedMs,
    ...r,
  });
  let call: UrlCall;
  try {
    call = urlCall(req.command, req.kid);
  } catch (err) {
    const result = done({ error: `bad URL task: ${(err as Error).message}` });
    return { result: Promise.resolve(result), kill: () => {} };
  }
  const transport = call.url.protocol === 'https:' ? https : http;
  // A timeout or a kill destroys the request (an AbortSignal per call cost a tenth of the
  // client's CPU in a burst: its listeners are EventTarget ones).
  let request: http.ClientRequest | undefined;
  let timedOut = false;
  const result = new Promise<RunnerResult>((resolve) => {
    const timer = setTimeout(() => {
      timedOut = true;
      request?.destroy(new Error('timed out'));
    }, timeoutMs);
    const finish = (r: Partial<RunnerResult>): void => {
      clearTimeout(timer);
      resolve(done(r));
    };
    try {
      request = transport.request(call.url, requestOptions(call));
    } catch (err) {
      finish({ error: `cannot call ${call.url.origin}: ${(err as Error).message}` });
      return;
    }
    request.on('response', (res) => readAnswer(res, req, onOutput, finish));
    request.on('error', (err) => {
      const why = timedOut ? `no answer within ${timeoutMs} ms` : err.message;
      finish({ timedOut, error: `${call.url.origin}: ${why}` });
    });
    request.end(call.form ?? undefined);
  });
  return { result, kill: () => request?.destroy(new Error('the call was stopped')) };
}
