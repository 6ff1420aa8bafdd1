// Which names a request's Host header may give. A page of another site that got its name to
// resolve to this machine (DNS rebinding) is same-origin to the browser, and sends its own name:
// only the address the API listens on, `localhost` and the names of web_hosts are answered.
import { isIP } from 'node:net';
import { canonicalAddress } from './allow-list.js';

/** The host of a Host header, lowercase, without its port, brackets or final dot; null if malformed. */
export function hostName(header: string): string | null {
  const text = header.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) return bracketed[1] ?? null;
  const m = /^([a-z0-9._-]+?)\.?(?::\d{1,5})?$/.exec(text);
  return m?.[1] ?? null;
}

export class HostCheck {
  private readonly names: ReadonlySet<string>;
  private readonly anyAddress: boolean;

  constructor(bindIp: string, hosts: readonly string[]) {
    this.names = new Set(['localhost', canonicalAddress(bindIp), ...hosts.map((h) => h.toLowerCase())]);
    // Listening on every address: any of them may be the one the client used.
    this.anyAddress = bindIp === '0.0.0.0' || bindIp === '::';
  }

  /** A request without Host (HTTP/1.0) comes from no browser: it is let through. */
  allows(header: string | undefined): boolean {
    if (header === undefined) return true;
    const name = hostName(header);
    if (name === null) return false;
    return this.names.has(canonicalAddress(name)) || (this.anyAddress && isIP(name) !== 0);
  }
}
