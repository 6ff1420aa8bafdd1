// Starts a private redis-server on a free port in a temp dir for a test file, and stops it.
// Never a mock: every test talks to a real Redis.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { waitFor } from './wait.js';

export interface RedisServerOptions {
  /** Turn on AOF persistence (appendfsync always), so a restart loses nothing. */
  aof?: boolean;
  /** Extra redis-server arguments, e.g. ['--hz', '100']. */
  args?: string[];
  port?: number;
}

export class RedisServer {
  private proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'ktimer-redis-'));
    const server = new RedisServer(options.port ?? (await freePort()), dir, options);
    await server.launch();
    return server;
  }

  /** The server's process id (while it runs). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** A fresh client; the caller quits it. */
  client(): Redis {
    const client = new Redis({
      port: this.port,
      host: '127.0.0.1',
      lazyConnect: false,
      maxRetriesPerRequest: 2,
    });
    client.on('error', () => {});
    return client;
  }

  async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      this.options.aof ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--daemonize',
      'no',
      '--logfile',
      join(this.dir, 'redis.log'),
      ...(this.options.args ?? []),
    ];
    this.proc = spawn('redis-server', args, { stdio: 'ignore' });
    const proc = this.proc;
    await waitFor(
      async () => {
        if (proc.exitCode !== null)
          throw new Error(`redis-server exited with ${proc.exitCode}; see ${this.dir}/redis.log`);
        return ping(this.port);
      },
      { timeoutMs: 10_000, what: `redis-server on port ${this.port}` },
    );
  }

  /** Stops the server (SHUTDOWN NOSAVE semantics: SIGTERM with save "" and AOF flushed). */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
    this.proc = undefined;
  }

  /** Freezes the server (SIGSTOP): connections stay open but nothing answers. */
  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    this.resume();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What usePrivateRedis() gives a test file. */
export interface PrivateRedis {
  /** The file's redis-server, once `before` has run: its port, stop/launch/pause/resume. */
  readonly server: RedisServer;
  /** One client of it for the whole file, made on first use and disconnected after the tests. */
  readonly client: Redis;
  /**
   * Resolves when the server is up. Node 20 starts a file's top-level `before` hooks as they are
   * registered, side by side, so a `before` hook of the file that needs the server awaits this.
   */
  ready(): Promise<void>;
}

/**
 * Gives the calling test file its own redis-server: registers a node:test `before` hook that
 * starts it, and an `after` hook that disconnects the client and destroys the server.
 */
export function usePrivateRedis(options: RedisServerOptions = {}): PrivateRedis {
  let server: RedisServer | undefined;
  let client: Redis | undefined;
  let starting: Promise<void> | undefined;
  const ready = () =>
    (starting ??= RedisServer.start(options).then((started) => {
      server = started;
    }));
  before(() => ready());
  after(async () => {
    client?.disconnect();
    await server?.destroy();
  });
  const up = (): RedisServer => {
    if (!server)
      throw new Error('usePrivateRedis(): the server is not up yet; await ready() in a before hook');
    return server;
  };
  return {
    get server() {
      return up();
    },
    get client() {
      client ??= up().client();
      return client;
    },
    ready,
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function ping(port: number): Promise<boolean> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
