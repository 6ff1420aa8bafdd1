// The request URL as webac.log shows it. Masking works on names as the parser decodes them, so
// the password never appears whatever its spelling: pass%77d=, PassWD=, or inside another
// value (action=count;passwd=...).
import { KNOWN_PARAMS } from './request.js';

const MAX_PATH_CHARS = 200;
const MAX_URL_CHARS = 2000;

/** Decodes what can be decoded (ASCII escapes one by one when a run is not UTF-8), never throws. */
function looseDecode(text: string): string {
  return text.replace(/\+/g, ' ').replace(/(%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%[0-7][0-9a-f]/gi, (e) => String.fromCharCode(Number.parseInt(e.slice(1), 16)));
    }
  });
}

/**
 * One name=value of the query: a known parameter as sent; the password, or anything else, masked;
 * `env` (NAME=VALUE lines: a task's -env) with its names and its values masked, as the logs show
 * a task's variables.
 */
function maskedPair(pair: string): string {
  const eq = pair.indexOf('=');
  const name = looseDecode(eq < 0 ? pair : pair.slice(0, eq));
  const safe = name !== 'passwd' && KNOWN_PARAMS.has(name) && !/passwd/i.test(looseDecode(pair));
  if (!safe) return `${name.slice(0, 40)}=***`;
  if (name !== 'env' || eq < 0) return pair;
  const lines = looseDecode(pair.slice(eq + 1)).split(/\r?\n/);
  return `env=${encodeURIComponent(lines.map((l) => (l.includes('=') ? `${l.slice(0, l.indexOf('='))}=***` : l)).join('\n'))}`;
}

export function maskedUrl(url: string | undefined): string {
  const text = url ?? '';
  const q = text.indexOf('?');
  if (q < 0) return text.slice(0, MAX_PATH_CHARS);
  const query = text
    .slice(q + 1)
    .split('&')
    .map((pair) => (pair === '' ? pair : maskedPair(pair)))
    .join('&');
  return `${text.slice(0, Math.min(q, MAX_PATH_CHARS))}?${query}`.slice(0, MAX_URL_CHARS);
}
