// Credentials in URLs (`https://user:token@host/`) are kept out of the logs: a log line is masked
// as a whole, after it is serialised, whichever field holds the URL (a fire's command, a task in
// an add or update line, an error, a command's output, a request's query string, where the URL
// is percent-encoded: `http%3A%2F%2Fuser%3Atoken%40host`). Stored tasks keep the real URL.

// The userinfo stops at the characters a URL's authority cannot hold before "@", and at `"` and
// `\`, so a match never reaches past a JSON string (nor, encoded, past a query parameter).
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"\\]+@/gi;
const ENCODED_USERINFO = /\b([a-z][a-z0-9+.-]*%3A%2F%2F)(?:(?!%2F|%3F|%23|%40)[^\s/?#@"\\&])+%40/gi;

/** The line with the userinfo of every URL in it shown as `***`. */
export function maskUrlUserinfo(line: string): string {
  const masked = line.includes('@') ? line.replace(USERINFO, '$1***@') : line;
  return /%40/i.test(masked) ? masked.replace(ENCODED_USERINFO, '$1***%40') : masked;
}
