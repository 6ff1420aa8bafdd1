// A small TCP proxy on loopback, to put between one daemon and Redis and cut it: a network
// partition for real (the daemon alive, Redis up for everyone else). cut() drops every byte both
// ways on the connections open and holds new ones silent (a black hole: nothing is refused, so
// the daemon learns nothing but that Redis stopped answering); heal() closes what it held, so the
// client reconnects, and forwards again.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  private delayMs = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const accepted: { proxy?: TcpProxy } = {};
    const server = createServer((client) => accepted.proxy?.accept(client, targetPort, targetHost));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    accepted.proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    return accepted.proxy;
  }

  /** Every byte the client sends reaches Redis `ms` later (a slow network; 0: at once). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** The partition begins. */
  cut(): void {
    this.cutOff = true;
  }

  /** The partition ends: what it held is closed (the client reconnects), and bytes flow again. */
  heal(): void {
    this.cutOff = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(client: Socket, port: number, host: string): void {
    this.sockets.add(client);
    if (this.cutOff) {
      // Held, silent: what a client sends into a partition goes nowhere.
      client.on('data', () => {});
      client.on('error', () => {});
      return;
    }
    const upstream = createConnection({ port, host });
    this.sockets.add(upstream);
    const forget = () => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d) => {
      if (this.cutOff) return;
      // One fixed delay: the bytes keep their order.
      if (this.delayMs === 0) upstream.write(d);
      else setTimeout(() => upstream.write(d), this.delayMs);
    });
    upstream.on('data', (d) => {
      if (!this.cutOff) client.write(d);
    });
    // While cut, an end or error is not passed on either: the other side hears nothing.
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      s.on('close', () => {
        if (!this.cutOff) forget();
      });
    }
  }
}
