// Credentials in URLs (`https://user:token@host/`) are kept out of the logs: a log line is masked
// as a whole, after it is serialised, whichever field holds the URL (a fire's command, a task in
// an add or update line, an error, a command's output). Stored tasks keep the real URL.

// The userinfo stops at the characters a URL's authority cannot hold before "@", and at `"` and
// `\`, so a match never reaches past a JSON string.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"\\]+@/gi;

/** The line with the userinfo of every URL in it shown as `***`. */
export function maskUrlUserinfo(line: string): string {
  return line.includes('@') ? line.replace(USERINFO, '$1***@') : line;
}
