import { readFileSync } from 'node:fs';
import { childrenOf } from '../test/helpers/proc.js';
import { kidOf, RedisServer, redisNowMs, seedKtimer, TestDaemon, writeTestConfig } from './lib/setup.js';
const N = 2000;
const ticks = (pid: number) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return [Number(f[11]), Number(f[12]), Number(f[13]), Number(f[14])];
  } catch {
    return [0, 0, 0, 0];
  }
};
const redis = await RedisServer.start();
const client = redis.client();
const due = (await redisNowMs(client)) + 5000;
await seedKtimer(
  client,
  's',
  Array.from({ length: N }, (_, i) => ({
    kid: kidOf(i, 's'),
    command: process.env.CMD ?? 'true',
    dueSec: due / 1000,
  })),
);
const d = new TestDaemon(
  writeTestConfig({ redisPort: redis.port, prefix: 's', extra: { default: ['task_concurrency = 64'] } }),
);
await d.start();
const rpid = Number((await client.info('server')).match(/process_id:(\d+)/)?.[1]);
await new Promise((r) => setTimeout(r, 1000));
const pids = { daemon: d.pid, redis: rpid };
const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, ticks(p)]));
const self0 = readFileSync('/proc/stat', 'utf8').split('\n')[0];
const fires = await d.waitForFires(N, 120_000);
const sp = childrenOf(d.pid);
console.log('spawners', sp, sp.map(ticks));
for (const [k, p] of Object.entries(pids)) {
  const a = ticks(p),
    b = before[k]!;
  console.log(k, 'user', a[0]! - b[0]!, 'sys', a[1]! - b[1]!, 'child u/s', a[2]! - b[2]!, a[3]! - b[3]!);
}
const st = fires.map((f) => (f.started as number) * 1000).sort((a, b) => a - b);
console.log(
  'rate',
  ((N - 1) / ((st.at(-1)! - st[0]!) / 1000)).toFixed(0),
  '/s; span s',
  ((st.at(-1)! - st[0]!) / 1000).toFixed(2),
);
console.log(self0, '\n', readFileSync('/proc/stat', 'utf8').split('\n')[0]);
const cs = await client.info('commandstats');
console.log(
  cs
    .split('\n')
    .filter((l) => /evalsha|hget|zadd|cmdstat_eval/.test(l))
    .join('\n'),
);
d.kill();
client.disconnect();
await redis.destroy();
process.exit(0);
