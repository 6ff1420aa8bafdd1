// Reading an API request's parameters: the query string, and apart from it a form body on POST
// (read only once the request is worth it), within size and shape limits. Anything malformed
// is a BadRequest naming what is wrong.
import { INPUT_FIELDS } from '../tasks/task-rules.js';
import type { IncomingMessage } from 'node:http';

export const MAX_BODY_BYTES = 64 * 1024;
/**
 * An apply file sent as the body (action=apply, the password in the query): read only once the
 * password is right, up to this size (10,000 tasks are about 1 MiB of YAML).
 */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
const MAX_URL_CHARS = 16 * 1024;

export class BadRequest extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 413,
    message: string,
  ) {
    super(message);
  }
}

export type Params = Map<string, string>;

/** The parameters of the API; any other is refused (after the password check). */
export const KNOWN_PARAMS: ReadonlySet<string> = new Set([
  'action',
  'passwd',
  ...INPUT_FIELDS,
  'kid',
  'n',
  'starttime',
  'endtime',
  'offset',
  'count',
  'cursor',
  'search',
  'failed',
  'fire_id',
  'after',
  'since',
  'replace',
  'all',
  'queue',
  'reason',
  'state',
  'group',
  'sort',
  'order',
  'page',
  'size',
  'kids',
  // issue 25: apply and export, next far ahead
  'file',
  'dry_run',
  'prune',
  'format',
  'from',
  'until',
]);

export function checkParams(params: Params): void {
  for (const key of params.keys()) {
    if (!KNOWN_PARAMS.has(key)) throw new BadRequest(400, `parameter ${key.slice(0, 40)} is unknown`);
  }
}

/** Decodes a urlencoded string strictly: bad escapes, bad UTF-8 and repeated names are refused. */
export function parseUrlEncoded(text: string, into: Params): void {
  if (text === '') return;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const key = decode(rawKey, 'a parameter name');
    const value = decode(rawValue, `parameter ${key.slice(0, 40)}`);
    if (into.has(key)) throw new BadRequest(400, `parameter ${key.slice(0, 40)} is given more than once`);
    into.set(key, value);
  }
}

function decode(raw: string, what: string): string {
  let text: string;
  try {
    text = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new BadRequest(400, `${what} is not valid percent-encoded UTF-8`);
  }
  if (text.includes('\uFFFD')) throw new BadRequest(400, `${what} is not valid UTF-8`);
  return text;
}

/** The path and the query string of a request; nothing of its body is read. */
export function requestTarget(req: IncomingMessage): { path: string; query: string } {
  const url = req.url ?? '/';
  if (url.length > MAX_URL_CHARS)
    throw new BadRequest(400, `the URL is longer than ${MAX_URL_CHARS} characters`);
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

const FORM = 'application/x-www-form-urlencoded';
const contentType = (req: IncomingMessage): string =>
  (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** Reads a POST's form body (64 KiB at most) into `params`. */
export async function readForm(req: IncomingMessage, params: Params): Promise<void> {
  const type = contentType(req);
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.length > 0 && type !== FORM) {
    throw new BadRequest(
      400,
      'the body must be application/x-www-form-urlencoded (a form), not ' +
        (type || 'untyped') +
        ' (an apply file as the body: action=apply and passwd in the query)',
    );
  }
  parseUrlEncoded(utf8(body), params);
}

/**
 * An apply's body (action and password in the query, checked already): the file itself (YAML or
 * JSON), up to MAX_FILE_BYTES, as the `file` parameter, whatever its Content-Type: `curl
 * --data-binary @f.yaml` labels it a form. (A form with `file` in it: action in the body too.)
 */
export async function readApplyBody(req: IncomingMessage, params: Params): Promise<void> {
  const text = utf8(await readBody(req, MAX_FILE_BYTES));
  if (params.has('file')) throw new BadRequest(400, 'parameter file is given more than once');
  params.set('file', text);
}

function utf8(body: Buffer): string {
  const text = body.toString('utf8');
  if (Buffer.byteLength(text) !== body.length || text.includes('\uFFFD'))
    throw new BadRequest(400, 'the body is not valid UTF-8');
  return text;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.reject(tooLarge(max));
  return readAll(req, max);
}

const tooLarge = (max: number) =>
  new BadRequest(
    413,
    `the body is over ${max >= 1024 * 1024 ? `${max / 1024 / 1024} MiB` : `${max / 1024} KiB`}`,
  );

function readAll(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(tooLarge(max));
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => reject(new BadRequest(400, 'the request body could not be read')));
  });
}

/** A 0/1 flag parameter: absent is false. */
export function flagParam(params: Params, name: string): boolean {
  const value = params.get(name);
  if (value !== undefined && value !== '0' && value !== '1')
    throw new BadRequest(400, `${name} must be 0 or 1`);
  return value === '1';
}
