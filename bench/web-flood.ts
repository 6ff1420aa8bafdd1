// Benchmark 5, firing under a web API flood: timers due over 20 s while 256 keep-alive clients
// (64 from each of 4 loopback addresses, the most one address may hold) post 64 KiB forms as
// fast as they are answered: half to a wrong path, half to / with a wrong passwd in the body.
// Lateness is the daemon's own (runed.log lateness_ms), beside the same timers without flood,
// and beside the same flood sent to another daemon on this machine (this one's web API off):
// what the machine's CPUs leave, wherever the web API runs. The flood's clients run at nice 19:
// they stand for other machines.
// Run alone: node --import tsx bench/web-flood.ts
import { Agent, request } from 'node:http';
import { cpus, loadavg, setPriority } from 'node:os';
import { cpuTimeMs, mainThreadCpuMs, runQueueWaitMs } from '../test/helpers/proc.js';
import { fmt, printSection, ratio, type Section } from './lib/report.js';
import {
  freePort,
  kidOf,
  RedisServer,
  redisNowMs,
  seedKtimer,
  TestDaemon,
  writeTestConfig,
} from './lib/setup.js';
import { type Latency, latency, medianOf } from './lib/stats.js';

const TIMERS = 1000;
const SPREAD_MS = 20_000;
const LEAD_MS = 6000;
const ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
const CLIENTS_PER_ADDRESS = 64;
const FORM = Buffer.from(`action=add&passwd=wrong&command=${'x'.repeat(64 * 1024 - 32)}`);

interface Run extends Latency {
  /** Flood requests answered per second. */
  answeredPerSec: number;
  /** The daemon's CPU, in % of a core: all its threads, its main thread (the loop); the share of the run its main thread spent waiting for a CPU. */
  daemonCpuPct: number;
  mainCpuPct: number;
  runQueuePct: number;
}

/** No flood; the daemon's own web API flooded; the flood sent to another daemon (this one's web API off). */
type Mode = 'quiet' | 'flooded' | 'elsewhere';

interface Flood {
  stop(): Promise<number>;
}

/** Keeps `CLIENTS_PER_ADDRESS` requests in flight from each address until stopped. */
function flood(port: number): Flood {
  let answered = 0;
  let running = true;
  const agents = ADDRESSES.map(() => new Agent({ keepAlive: true, maxSockets: CLIENTS_PER_ADDRESS }));
  const client = (agent: Agent, localAddress: string, path: string) =>
    new Promise<void>((resolve) => {
      const again = (): void => {
        if (!running) return resolve();
        const req = request(
          {
            host: '127.0.0.1',
            port,
            agent,
            localAddress,
            method: 'POST',
            path,
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': FORM.length },
          },
          (res) => {
            res.resume().on('end', () => {
              answered++;
              again();
            });
          },
        );
        // A connection the daemon closed or refused is opened again, as a flooder would.
        req.on('error', () => setTimeout(again, 10));
        req.end(FORM);
      };
      again();
    });
  const clients = ADDRESSES.flatMap((address, a) =>
    Array.from({ length: CLIENTS_PER_ADDRESS }, (_, i) =>
      client(agents[a] as Agent, address, i % 2 ? '/upload' : '/'),
    ),
  );
  let stopped: Promise<number> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        running = false;
        await Promise.all(clients);
        for (const agent of agents) agent.destroy();
        return answered;
      })()),
  };
}

async function firingRun(redis: RedisServer, prefix: string, mode: Mode): Promise<Run> {
  const client = redis.client();
  const now = await redisNowMs(client);
  await seedKtimer(
    client,
    prefix,
    Array.from({ length: TIMERS }, (_, i) => ({
      kid: kidOf(i, 't'),
      command: 'true',
      dueSec: (now + LEAD_MS + (SPREAD_MS * i) / TIMERS) / 1000,
    })),
  );
  client.disconnect();
  const port = await freePort();
  const daemonOn = (web: boolean, keyPrefix: string) =>
    new TestDaemon(
      writeTestConfig({
        redisPort: redis.port,
        prefix: keyPrefix,
        extra: {
          web: [
            `web_enable = ${web ? 1 : 0}`,
            `web_port = ${port}`,
            'web_passwd = bench-secret',
            'web_allow_ip = 127.',
          ],
        },
      }),
    );
  const daemon = daemonOn(mode !== 'elsewhere', prefix);
  const other = mode === 'elsewhere' ? daemonOn(true, `${prefix}x`) : undefined;
  await daemon.start();
  await other?.start();
  const cpu = () => ({ all: cpuTimeMs(daemon.pid).self, main: mainThreadCpuMs(daemon.pid) });
  const started = { ms: Date.now(), cpu: cpu(), waited: runQueueWaitMs(daemon.pid) };
  // The flood stands for clients on other machines; here they share the daemon's 2 cores, so
  // they run at the lowest priority (the daemons and Redis, started before, keep theirs).
  if (mode !== 'quiet') nice(19);
  const load = mode === 'quiet' ? undefined : flood(port);
  try {
    const fires = await daemon.waitForFires(TIMERS, LEAD_MS + SPREAD_MS + 60_000);
    const wallMs = Date.now() - started.ms;
    const used = cpu();
    const waited = runQueueWaitMs(daemon.pid) - started.waited;
    const answered = (await load?.stop()) ?? 0;
    const pct = (ms: number) => Math.round((100 * ms) / wallMs);
    return {
      ...latency(fires.map((f) => Number(f.lateness_ms))),
      answeredPerSec: Math.round((answered * 1000) / wallMs),
      daemonCpuPct: pct(used.all - started.cpu.all),
      mainCpuPct: pct(used.main - started.cpu.main),
      runQueuePct: pct(waited),
    };
  } finally {
    await load?.stop();
    nice(0);
    daemon.kill();
    other?.kill();
  }
}

/** This process's (main thread's) nice value; back to 0 needs root, else it stays. */
function nice(value: number): void {
  try {
    setPriority(value);
  } catch {
    // not allowed: the rest of the run is measured as it is
  }
}

export async function runWebFlood(reps: number): Promise<Section> {
  const runs: Record<Mode, Run[]> = { quiet: [], flooded: [], elsewhere: [] };
  const loads: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const redis = await RedisServer.start();
    try {
      for (const mode of ['quiet', 'flooded', 'elsewhere'] as const) {
        const figures = await firingRun(redis, `flood${rep}${mode[0]}`, mode);
        runs[mode].push(figures);
        loads.push(loadavg()[0] ?? 0);
        process.stdout.write(`web flood rep ${rep + 1} ${mode}: ${JSON.stringify(figures)}\n`);
      }
    } finally {
      await redis.destroy();
    }
  }
  const median = (of: Run[]) => medianOf(of as unknown as Record<string, number>[]) as unknown as Run;
  const [q, f, e] = [median(runs.quiet), median(runs.flooded), median(runs.elsewhere)];
  const ms = (x: number) => `${fmt(x)} ms`;
  const row = (measure: keyof Latency, target = '', met: boolean | null = null) => ({
    measure: `lateness ${measure}`,
    ktimer: ms(f[measure]),
    peer: `without flood ${ms(q[measure])}`,
    ratio: `flooded/quiet ${ratio(f[measure], q[measure])}`,
    target,
    met,
  });
  const cpu = (r: Run) => `${r.daemonCpuPct} %; ${r.mainCpuPct} %; ${r.runQueuePct} % of the time`;
  return {
    title: `5. Firing under a web API flood: ${TIMERS} shell timers over ${SPREAD_MS / 1000} s, ${ADDRESSES.length * CLIENTS_PER_ADDRESS} clients posting 64 KiB forms (median of ${reps})`,
    command: 'node --import tsx bench/web-flood.ts',
    rows: [
      row('p50'),
      row('p90'),
      row('p99', '<= 20 ms', f.p99 <= 20),
      row('max'),
      {
        measure:
          "lateness p99, the same flood sent to another daemon on this machine (this one's web API off)",
        ktimer: ms(e.p99),
        peer: `own web API flooded ${ms(f.p99)}`,
        ratio: `own/other ${ratio(f.p99, e.p99)}`,
        target: '',
        met: null,
      },
      {
        measure: 'flood requests answered',
        ktimer: `${f.answeredPerSec}/s`,
        peer: `by the other daemon ${e.answeredPerSec}/s`,
        ratio: '',
        target: '',
        met: null,
      },
      {
        measure: "daemon CPU, all threads; its main thread (the loop); the main thread's wait for a CPU",
        ktimer: cpu(f),
        peer: `without flood ${cpu(q)}`,
        ratio: '',
        target: '',
        met: null,
      },
    ],
    notes: [
      `The flood: from each of ${ADDRESSES.join(', ')}, ${CLIENTS_PER_ADDRESS} clients, half posting to /upload (404 before the body is read), half to / with a wrong passwd in the body (401 after the slow-down until the fleet's limit of wrong passwords is met, 100 a minute; from then on 429 at once, the body unread). A reply sent before the body was read closes the connection, so those clients connect again. The flood's clients run in this process at nice 19: they stand for clients on other machines, and here share the daemon's 2 cores (at nice 0 they took 44 % of a core, and p99 was 62 ms against 84 ms for a daemon that did not serve the flood at all). Lateness is runed.log's lateness_ms: the start of each \`true\` against its due time. Load average (1 min) after each run, quiet, flooded, flood elsewhere: ${loads.map((l) => l.toFixed(1)).join(', ')} on ${cpus().length} cores.`,
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await runWebFlood(Number(process.env.BENCH_REPS ?? 3)));
  process.exit(0);
}
