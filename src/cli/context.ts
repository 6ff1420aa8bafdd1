// What every command action needs: the global options, the config (loaded on first use), the
// task service (Redis connected on first use), and output in human or --json form.
import type { Config } from '../config/config.js';
import { findConfig, type FoundConfig } from '../config/find-config.js';
import { loadConfig } from '../config/load-config.js';
import { type OneshotLog, oneshotLogger } from '../log/oneshot-logger.js';
import { logTaskChange } from '../log/task-change-log.js';
import type { FleetService } from '../service/fleet-service.js';
import type { HistoryService } from '../service/history-service.js';
import type { Services } from '../service/services.js';
import type { TaskService } from '../service/task-service.js';
import type { Store } from '../store/open-store.js';
import { safeJson } from '../text.js';
import { runStats } from './run-stats.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

export class CliContext {
  private cfg: Config | undefined;
  private opened: Store | undefined;
  private connected: Promise<Store> | undefined;

  /** Exit status for a command that succeeds but reports a state (status: 3 = stopped). */
  exitCode = 0;

  constructor(readonly options: GlobalOptions) {}

  get json(): boolean {
    return this.options.json === true;
  }

  private found: FoundConfig | undefined;

  /** Which conf.ini this command uses, and why (find-config.ts). */
  get configFound(): FoundConfig {
    this.found ??= findConfig(this.options.config);
    return this.found;
  }

  get configPath(): string {
    return this.configFound.path;
  }

  get config(): Config {
    this.cfg ??= loadConfig(this.configPath, this.configFound.why);
    return this.cfg;
  }

  /** The store of this config, not connected yet (its address, say); closed by close(). */
  async openStore(): Promise<Store> {
    if (!this.opened) {
      const { openStore } = await import('../store/open-store.js');
      this.opened = openStore(this.config, 'oneshot');
    }
    return this.opened;
  }

  /** The store, connected on first use, its fleet not yet checked (init checks it apart). */
  connectedStore(): Promise<Store> {
    this.connected ??= this.openStore().then(async (store) => {
      await store.connect();
      runStats.usedRedis = true;
      return store;
    });
    return this.connected;
  }

  private checked: Promise<Store> | undefined;
  /** What checking the fleet found (init says it). */
  fleetCheck: { fleet: string; written: boolean } | undefined;

  /**
   * The store, connected on first use, once Redis is found to hold this config's fleet
   * (docs/fleet.md): a command pointed at another fleet's Redis reads nothing there. One
   * connection per command run.
   */
  store(): Promise<Store> {
    this.checked ??= this.connectedStore().then(async (store) => {
      this.fleetCheck = await store.checkFleet();
      return store;
    });
    return this.checked;
  }

  private services: Promise<Services> | undefined;

  /** The task and history services, with every change logged to runed.log (by the service). */
  private openServices(): Promise<Services> {
    this.services ??= import('../service/services.js').then(({ openServices }) =>
      openServices({
        config: this.config,
        store: () => this.store(),
        onChange: (change) => logTaskChange(this.changeLog().logger, change, 'cli'),
      }),
    );
    return this.services;
  }

  async service(): Promise<TaskService> {
    return (await this.openServices()).tasks;
  }

  /** The run history (history, runs, output). */
  async history(): Promise<HistoryService> {
    return (await this.openServices()).history;
  }

  /** The fleet: its daemons, the labels they hold (daemons, add's warning, check). */
  async fleet(): Promise<FleetService> {
    return (await this.openServices()).fleet;
  }

  private log: OneshotLog | undefined;

  /** runed.log's writer, made at the first change (a command that changes nothing opens none). */
  private changeLog(): OneshotLog {
    this.log ??= oneshotLogger(this.config.log.runed);
    return this.log;
  }

  /** Prints the human form, or the data as one JSON document with --json. */
  print(human: string, data: unknown): void {
    // --json: exact once parsed, with control characters as \u escapes, as JSON allows.
    process.stdout.write(this.json ? `${safeJson(data)}\n` : `${human}\n`);
  }

  async close(): Promise<void> {
    this.log?.flush();
    const store = this.opened;
    this.opened = undefined;
    await store?.close();
  }
}
