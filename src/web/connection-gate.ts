// Refuses a connection as it is accepted, before any byte of it is read: from an address not in
// web_allow_ip, or beyond the connections one address may hold. Checked later (after the
// headers), slow clients from anywhere could hold every slot and starve the allowed ones.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { type AllowList, canonicalAddress } from './allow-list.js';
import { PerAddressCount } from './per-address-count.js';

/** Connections one address may hold at once (of the server's 1,024). */
export const MAX_CONNECTIONS_PER_ADDRESS = 64;
const LOG_EVERY_MS = 60_000;
const MAX_LOGGED_ADDRESSES = 10_000;

export function gateConnections(server: Server, allow: AllowList, accessLog: Logger): void {
  const held = new PerAddressCount(MAX_CONNECTIONS_PER_ADDRESS);
  // A flood of refusals is logged once a minute per address, not once per connection.
  const loggedAt = new Map<string, number>();
  const refuse = (socket: Socket, address: string, why: string) => {
    socket.destroy();
    const now = Date.now();
    if (address === '' || now - (loggedAt.get(address) ?? -Infinity) < LOG_EVERY_MS) return;
    if (loggedAt.size >= MAX_LOGGED_ADDRESSES) loggedAt.clear();
    loggedAt.set(address, now);
    accessLog.info({ address, refused: why }, 'connection refused (logged once a minute per address)');
  };
  server.on('connection', (socket: Socket) => {
    const address = canonicalAddress(socket.remoteAddress ?? '');
    if (!allow.allows(address)) {
      refuse(socket, address, 'not in web_allow_ip');
      return;
    }
    if (!held.take(address)) {
      refuse(socket, address, `holds ${MAX_CONNECTIONS_PER_ADDRESS} connections already`);
      return;
    }
    socket.once('close', () => held.release(address));
  });
}
