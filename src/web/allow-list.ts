// web_allow_ip matching: address prefixes and CIDR ranges, IPv4 and IPv6. A prefix matches
// only at an address boundary: "10.0.0." or "10.0.0.0/24" let 10.0.0.10 in, "10.0.0.1" does
// not (the original ktimer's string prefix did); a prefix matches addresses of its own family only.
import { isIP } from 'node:net';

type Family = 4 | 6;
type Rule =
  | { kind: 'cidr'; family: Family; bits: bigint; mask: bigint }
  | { kind: 'prefix'; family: Family; text: string };

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) is read as IPv4. */
export function canonicalAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped?.[1] ?? address).toLowerCase();
}

function ipv4Bits(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Bits(address: string): bigint {
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = ipv4Bits(v4[1]);
    text = text.replace(v4[1], `${(b >> 16n).toString(16)}:${(b & 0xffffn).toString(16)}`);
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
}

function bitsOf(address: string): { family: Family; bits: bigint } | null {
  const family = isIP(address);
  if (family === 4) return { family, bits: ipv4Bits(address) };
  if (family === 6) return { family, bits: ipv6Bits(address) };
  return null;
}

function parseRule(entry: string): Rule {
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
  if (cidr) {
    const base = bitsOf(canonicalAddress(cidr[1] ?? ''));
    if (base) {
      const width = base.family === 4 ? 32n : 128n;
      const prefixLen = BigInt(Math.min(Number(cidr[2]), Number(width)));
      const mask = prefixLen === 0n ? 0n : ((1n << prefixLen) - 1n) << (width - prefixLen);
      return { kind: 'cidr', family: base.family, bits: base.bits & mask, mask };
    }
  }
  // A whole address is a /32 or /128.
  const whole = bitsOf(canonicalAddress(entry));
  if (whole) {
    return {
      kind: 'cidr',
      family: whole.family,
      bits: whole.bits,
      mask: whole.family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n,
    };
  }
  return { kind: 'prefix', family: prefixFamily(entry), text: entry.toLowerCase() };
}

/**
 * The family a prefix is written in: a dot says IPv4, a colon IPv6; a bare number up to 255 is
 * read as IPv4's first byte ("10" is 10.x.x.x, never 10::), anything else as an IPv6 group.
 */
function prefixFamily(entry: string): Family {
  if (entry.includes(':')) return 6;
  if (entry.includes('.')) return 4;
  return /^\d{1,3}$/.test(entry) && Number(entry) <= 255 ? 4 : 6;
}

export class AllowList {
  private readonly rules: Rule[];

  constructor(entries: readonly string[]) {
    this.rules = entries.map(parseRule);
  }

  allows(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    const address = canonicalAddress(remoteAddress);
    const parsed = bitsOf(address);
    return this.rules.some((rule) => {
      if (rule.kind === 'cidr')
        return parsed !== null && parsed.family === rule.family && (parsed.bits & rule.mask) === rule.bits;
      // A partial prefix ("127.", "10.0.", "fe80:") must end at a separator to match.
      const p = rule.text;
      if (parsed?.family !== rule.family || !address.startsWith(p)) return false;
      return (
        p.endsWith('.') ||
        p.endsWith(':') ||
        address.length === p.length ||
        address[p.length] === '.' ||
        address[p.length] === ':'
      );
    });
  }
}
