// One error type for everything a user can be told, and one table that turns its code into
// an exit status (CLI) or an HTTP status (web API).

export type ErrorCode =
  | 'usage' // bad command line or parameter value: nothing was done
  | 'config' // conf.ini missing, malformed or out of range
  | 'not_found' // unknown kid
  | 'exists' // a task name held by another task
  | 'busy' // the task's run is under way and its overlap policy refuses another (run)
  | 'no_daemon' // no live daemon may run it (run): nothing was stored
  | 'fleet' // Redis holds another fleet than conf.ini's [redis] fleet: nothing was read
  | 'timeout' // waited as long as asked (run --wait --timeout): what was waited for goes on
  | 'redis' // Redis unreachable or failing
  | 'limit' // task_max_num reached
  | 'corrupt' // task data in Redis is not valid
  | 'too_large' // request body over the limit
  | 'auth' // wrong password or address not allowed
  | 'forbidden' // a right password that may not do this (the viewer's, asked for a change)
  | 'daemon' // daemon lifecycle failure (start, stop)
  | 'stopped' // the daemon is not running (status)
  | 'internal';

const EXIT: Record<ErrorCode, number> = {
  usage: 2,
  config: 1,
  not_found: 1,
  exists: 1,
  busy: 1,
  no_daemon: 1,
  fleet: 1,
  timeout: 1,
  redis: 1,
  limit: 1,
  corrupt: 1,
  too_large: 2,
  auth: 1,
  forbidden: 1,
  daemon: 1,
  stopped: 3,
  internal: 1,
};

const HTTP: Record<ErrorCode, number> = {
  usage: 400,
  config: 500,
  not_found: 404,
  exists: 409,
  busy: 409,
  no_daemon: 409,
  fleet: 500,
  timeout: 504,
  redis: 503,
  limit: 400,
  corrupt: 500,
  too_large: 413,
  auth: 401,
  forbidden: 403,
  daemon: 500,
  stopped: 503,
  internal: 500,
};

export class KtimerError extends Error {
  readonly code: ErrorCode;
  /** More of what went wrong, for a --json failure document (init: its checks). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options);
    this.name = 'KtimerError';
    this.code = code;
    this.details = options?.details;
  }
}

export function exitCodeOf(err: unknown): number {
  return err instanceof KtimerError ? EXIT[err.code] : 1;
}

export function httpStatusOf(err: unknown): number {
  return err instanceof KtimerError ? HTTP[err.code] : 500;
}

/** The code of an error we raised, read back from text (a detached daemon's start-up report). */
export const errorCodeFrom = (text: string): ErrorCode | null => (text in EXIT ? (text as ErrorCode) : null);

export const usageError = (message: string): KtimerError => new KtimerError('usage', message);

/** A message for an error we did not raise ourselves (a bug, or a library's error). */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
