import { ktimerUrl, bullUrl } from './burst.ts';
import { RedisServer, Sink } from './lib/setup.ts';
const sink = new Sink();
await sink.start();
const which = (process.env.WHICH ?? 'k,b').split(',');
for (let rep = 0; rep < Number(process.env.REPS ?? 1); rep++) {
  for (const w of which) {
    const redis = await RedisServer.start();
    try {
      const r = await (w === 'k' ? ktimerUrl : bullUrl)(redis, sink);
      console.log(w, JSON.stringify(r));
    } finally { await redis.destroy(); }
  }
}
await sink.close();
