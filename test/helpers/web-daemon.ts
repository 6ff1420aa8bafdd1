// A test file's daemon with its web API on a free port: started before the file's tests, killed
// after them, and `api` to call it (GET with the password, JSON back).
import { request } from 'node:http';
import { after, before } from 'node:test';
import { type TestConfigOptions, writeTestConfig } from './cli.js';
import { TestDaemon } from './daemon.js';
import { freePort, type PrivateRedis } from './redis-server.js';

export interface WebDaemon {
  /** The daemon, once the file's `before` has run. */
  readonly daemon: TestDaemon;
  readonly port: number;
  /** One web API call: its HTTP status and parsed JSON body. */
  api<T = Record<string, unknown>>(params: Record<string, string>): Promise<{ http: number; body: T }>;
}

export function useWebDaemon(
  redis: PrivateRedis,
  passwd: string,
  extra: TestConfigOptions['extra'] = {},
): WebDaemon {
  let daemon: TestDaemon | undefined;
  let port = 0;
  before(async () => {
    await redis.ready();
    port = await freePort();
    const web = ['web_enable = 1', `web_port = ${port}`, `web_passwd = ${passwd}`, ...(extra.web ?? [])];
    daemon = new TestDaemon(writeTestConfig({ redisPort: redis.server.port, extra: { ...extra, web } }));
    await daemon.start();
  });
  after(() => daemon?.kill());
  return {
    get daemon() {
      if (!daemon) throw new Error('the web daemon starts in the before hook');
      return daemon;
    },
    get port() {
      return port;
    },
    api: <T>(params: Record<string, string>) =>
      new Promise<{ http: number; body: T }>((resolve, reject) => {
        const query = new URLSearchParams({ passwd, ...params }).toString();
        request({ host: '127.0.0.1', port, path: `/?${query}` }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ http: res.statusCode ?? 0, body: JSON.parse(text) as T }));
        })
          .on('error', reject)
          .end();
      }),
  };
}
