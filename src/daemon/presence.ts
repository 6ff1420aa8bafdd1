// This daemon in its fleet (docs/fleet.md): before its first claim it checks that Redis holds its
// fleet (a daemon pointed at another fleet's Redis reads no task there), then it says every
// second that it is alive and what it is (`ktimer daemons`, and `run`'s question whether any
// daemon may run a task), and leaves the registry when it stops claiming.
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import { messageOf } from '../errors.js';
import type { DaemonLogs } from '../log/daemon-logs.js';
import { type DaemonRecord, HEARTBEAT_MS, type Store } from '../store/open-store.js';
import { VERSION } from '../version.js';

export interface PresenceDeps {
  store: Pick<Store, 'fleet' | 'checkFleet'>;
  config: Config;
  /** Its id in leases: name:pid:tag. */
  owner: string;
  /** The machine's host name. */
  host: string;
  /** The Redis clock. */
  clock: Clock;
  /** Runs under way now. */
  running: () => number;
  /** Since the loop's last claim, ms (null before the first). */
  msSinceClaim: () => number | null;
  logs: Pick<DaemonLogs, 'serve'>;
}

export class FleetPresence {
  private verified = false;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private readonly startedMs = Date.now();

  constructor(private readonly deps: PresenceDeps) {}

  /** Resolves once Redis was found to hold this daemon's fleet; a KtimerError('fleet') when not. */
  async verify(): Promise<void> {
    if (this.verified) return;
    await this.deps.store.checkFleet();
    this.verified = true;
    void this.beat();
  }

  /** What it says of itself now. */
  record(): DaemonRecord {
    const { config, clock } = this.deps;
    const since = this.deps.msSinceClaim();
    return {
      name: config.daemon.name,
      host: this.deps.host,
      pid: process.pid,
      labels: [...config.daemon.labels],
      version: VERSION,
      started_ms: this.startedMs,
      last_claim_ms: since === null ? null : Math.round(clock.nowMs() - since),
      running: this.deps.running(),
      settings: { ...config.daemon.settings },
    };
  }

  /** Says it every HEARTBEAT_MS from now on (once the fleet is verified). */
  start(): void {
    this.timer ??= setInterval(() => void this.beat(), HEARTBEAT_MS);
  }

  /** Stops saying it, and leaves the registry (it claims no more). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.verified) await this.deps.store.fleet.leave(this.deps.owner).catch(() => {});
  }

  private async beat(): Promise<void> {
    if (!this.verified) return;
    try {
      await this.deps.store.fleet.beat(this.deps.owner, this.record(), this.deps.clock.nowMs());
      this.failing = false;
    } catch (err) {
      // Redis away: the loop logs the outage; this says once that the fleet no longer sees it.
      if (!this.failing)
        this.deps.logs.serve.warn({ event: 'heartbeat_failed', err: messageOf(err) }, 'heartbeat failed');
      this.failing = true;
    }
  }
}
