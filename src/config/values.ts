// Readers for one conf.ini value each: they return the typed value or throw a message that
// names the file, the key, the value found and the form expected.
import { isTimeZone } from '../time-zone.js';
import { isIP } from 'node:net';
import { KtimerError } from '../errors.js';

export interface ValueSite {
  file: string;
  section: string;
  key: string;
}

function bad(site: ValueSite, value: string, expected: string): KtimerError {
  return new KtimerError(
    'config',
    `${site.file}: [${site.section}] ${site.key} = "${value}" is invalid; expected ${expected}`,
  );
}

/** An http(s) URL, or '' (none). */
export function readHttpUrl(site: ValueSite, value: string): string {
  if (value === '') return '';
  let url: URL | null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw bad(site, value.slice(0, 80), 'an http(s) URL, or nothing');
  return value;
}

export function readInt(site: ValueSite, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value)) throw bad(site, value, `a whole number from ${min} to ${max}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw bad(site, value, `a whole number from ${min} to ${max}`);
  }
  return n;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export function readBool(site: ValueSite, value: string): boolean {
  const v = value.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw bad(site, value, '1 or 0');
}

const DURATION = /^(\d{1,9})\s*([smhd]?)$/i;
const DURATION_SEC: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration in seconds: `3600`, `90s`, `15m`, `12h`, `7d`; from `minSec` to `maxSec`. */
export function readDuration(site: ValueSite, value: string, minSec: number, maxSec: number): number {
  const m = DURATION.exec(value);
  const sec = m ? Number(m[1]) * (DURATION_SEC[(m[2] ?? '').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(sec) || sec < minSec || sec > maxSec)
    throw bad(site, value, `a duration from ${minSec} s to ${maxSec / 86_400} days, such as 3600, 12h or 7d`);
  return sec;
}

/** An IANA time zone name; empty means UTC. */
export function readTimeZone(site: ValueSite, value: string): string {
  const tz = value === '' ? 'UTC' : value;
  if (!isTimeZone(tz)) throw bad(site, value, 'an IANA time zone such as Europe/Berlin or UTC (empty: UTC)');
  return tz;
}

export function readNonEmpty(site: ValueSite, value: string): string {
  if (value === '') throw bad(site, value, 'a non-empty value');
  return value;
}

const SIZE = /^(\d+)\s*([kmg]?)b?$/i;
const UNIT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function readSize(site: ValueSite, value: string): number {
  return readBytes(site, value, 1024, Number.MAX_SAFE_INTEGER);
}

/** Bytes, or with K, M, G (KiB, MiB, GiB), from `min` to `max`. */
export function readBytes(site: ValueSite, value: string, min: number, max: number): number {
  const m = SIZE.exec(value);
  const bytes = m ? Number(m[1]) * (UNIT[(m[2] ?? '').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER
        ? `of at least ${sizeWords(min)}, such as 512K, 10M or 1G`
        : `from ${sizeWords(min)} to ${sizeWords(max)}: bytes, or with K, M or G (64K, 1M)`;
    throw bad(site, value, `a size ${range}`);
  }
  return bytes;
}

/** Bytes as conf.ini writes them: 16M, 1K, 0. */
export function sizeWords(bytes: number): string {
  for (const [unit, n] of [
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const)
    if (bytes > 0 && bytes % n === 0) return `${bytes / n}${unit}`;
  return String(bytes);
}

/** An octal file mode ("0640", "600") the owner can read and write, executable by nobody. */
export function readFileMode(site: ValueSite, value: string): number {
  const mode = /^0?[0-7]{3}$/.test(value) ? parseInt(value, 8) : Number.NaN;
  if (Number.isNaN(mode) || (mode & 0o600) !== 0o600 || (mode & 0o111) !== 0) {
    throw bad(
      site,
      value,
      'an octal file mode with owner read and write and no execute bit, such as 0640 or 0600',
    );
  }
  return mode;
}

export function readIp(site: ValueSite, value: string): string {
  if (isIP(value) === 0) throw bad(site, value, 'an IPv4 or IPv6 address, such as 127.0.0.1 or ::1');
  return value;
}

export function readList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** web_hosts: DNS names, such as ktimer.example.com (letters, digits, `.`, `-`, `_`). */
export function readHostNames(site: ValueSite, value: string): string[] {
  const names = readList(value).map((n) => n.toLowerCase().replace(/\.$/, ''));
  if (names.some((n) => !/^[a-z0-9_]([a-z0-9._-]{0,252})$/.test(n)))
    throw bad(site, value, 'host names separated by commas, such as ktimer.example.com,ktimer');
  return names;
}

export interface HostPort {
  host: string;
  port: number;
}

export function readHostPorts(site: ValueSite, value: string): HostPort[] {
  return readList(value).map((entry) => {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(entry);
    const port = m ? Number(m[3]) : 0;
    if (!m || port < 1 || port > 65535) {
      throw bad(site, value, 'a comma-separated list of host:port, such as 10.0.0.1:26379,10.0.0.2:26379');
    }
    return { host: (m[1] ?? m[2]) as string, port };
  });
}

/** A `web_allow_ip` entry: an address prefix ("127.", "10.0.0.1") or a CIDR range. */
export function readAllowList(site: ValueSite, value: string): string[] {
  const entries = readList(value);
  for (const entry of entries) {
    const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      const family = isIP(cidr[1] ?? '');
      const bits = Number(cidr[2]);
      if (family === 0 || bits > (family === 4 ? 32 : 128)) {
        throw bad(site, value, 'address prefixes or CIDR ranges, such as 127.,10.0.0.0/8,::1');
      }
    } else if (!/^[0-9a-fA-F.:]+$/.test(entry)) {
      throw bad(site, value, 'address prefixes or CIDR ranges, such as 127.,10.0.0.0/8,::1');
    }
  }
  return entries;
}

/** A secret sent in an HTTP header (metrics_token): printable ASCII without spaces, 16 characters or more. */
export function readToken(site: ValueSite, value: string): string {
  if (value === '' || /^[\x21-\x7e]{16,512}$/.test(value)) return value;
  throw bad(
    site,
    '***',
    'empty, or 16 to 512 printable characters without spaces, such as the output of `openssl rand -hex 24`',
  );
}
