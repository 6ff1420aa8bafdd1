// Credentials in URLs (`https://user:token@host/`) are kept out of the logs: a log line is masked
// as a whole, after it is serialised, whichever field holds the URL (a fire's command, a task in
// an add or update line, an error, a command's output, a `[notify]` URL, a request's query
// string, where the URL is percent-encoded: `http%3A%2F%2Fuser%3Atoken%40host`). Stored tasks
// keep the real URL.
//
// The userinfo is what the WHATWG URL parser takes for it: all between `//` and the LAST `@`
// before the authority ends (`/`, `?`, `#`, and `\` for http, https, ws, wss, ftp and file), so
// a password holding `@`, `"` or a space is masked whole. A URL the parser refuses has its whole
// authority masked: what it would have taken for credentials cannot be told. A JSON line's strings
// are masked as the text they hold, so `\"` in one is a character of a password, not its end.

const SCHEME = /\b[a-z][a-z0-9+.-]*:\/\//gi;
const ENCODED_SCHEME = /\b[a-z][a-z0-9+.-]*%3A%2F%2F/gi;
const SPECIAL = new Set(['http', 'https', 'ws', 'wss', 'ftp', 'file']);
const MASK = '***';

/** Where the authority starting at `from` ends, as the URL parser sees it. */
function authorityEnd(text: string, from: number, special: boolean): number {
  const ends = special ? /[/?#\\]/g : /[/?#]/g;
  ends.lastIndex = from;
  return ends.exec(text)?.index ?? text.length;
}

function parses(url: string): boolean {
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

/** `text` with the userinfo of each plain URL in it masked. */
function maskPlain(text: string): string {
  return maskEach(text, SCHEME, (url, from) => {
    const name = url.slice(0, url.indexOf(':')).toLowerCase();
    const end = authorityEnd(url, from, SPECIAL.has(name));
    if (!parses(url)) return { cut: from, keep: end };
    const at = url.lastIndexOf('@', end - 1);
    return at < from ? null : { cut: from, keep: at };
  });
}

/** `text` with the userinfo of each percent-encoded URL (a query string's) masked. */
function maskEncoded(text: string): string {
  return maskEach(text, ENCODED_SCHEME, (url, from) => {
    const value = /^[^&\s"]*/.exec(url)?.[0] ?? '';
    const end = from + (/%2F|%3F|%23|%5C/i.exec(value.slice(from))?.index ?? value.length - from);
    let decoded: string | null;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      decoded = null;
    }
    if (decoded === null || !parses(decoded)) return { cut: from, keep: end };
    const authority = url.slice(0, end);
    const at = Math.max(authority.lastIndexOf('@'), authority.search(/%40(?!.*%40)/i));
    return at < from ? null : { cut: from, keep: at };
  });
}

/**
 * Calls `span` with each URL found by `scheme` (the text from its scheme on, and where its
 * authority starts); a span replaces [cut, keep) of that text with the mask, null leaves it.
 */
function maskEach(
  text: string,
  scheme: RegExp,
  span: (url: string, authority: number) => { cut: number; keep: number } | null,
): string {
  let out = '';
  let done = 0;
  for (const m of text.matchAll(scheme)) {
    if (m.index < done) continue;
    const url = text.slice(m.index);
    const found = span(url, m[0].length);
    if (!found) continue;
    out += text.slice(done, m.index + found.cut) + MASK;
    done = m.index + found.keep;
  }
  return out + text.slice(done);
}

function maskText(text: string): string {
  const plain = text.includes('://') ? maskPlain(text) : text;
  return /%3A%2F%2F/i.test(plain) ? maskEncoded(plain) : plain;
}

/** The line with the userinfo of every URL in it shown as `***`; a JSON line string by string. */
export function maskUrlUserinfo(line: string): string {
  if (!line.includes('://') && !/%3A%2F%2F/i.test(line)) return line;
  if (!line.trimStart().startsWith('{')) return maskText(line);
  return line.replace(/"(?:[^"\\]|\\.)*"/g, (literal) => {
    if (!literal.includes('://') && !/%3A%2F%2F/i.test(literal)) return literal;
    const value = JSON.parse(literal) as string;
    const masked = maskText(value);
    return masked === value ? literal : JSON.stringify(masked);
  });
}
