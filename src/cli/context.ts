// What every command action needs: the global options, the config (loaded on first use), the
// task service (Redis connected on first use), and output in human or --json form.
import type { Config } from '../config/config.js';
import { findConfig, type FoundConfig } from '../config/find-config.js';
import { loadConfig } from '../config/load-config.js';
import { type OneshotLog, oneshotLogger } from '../log/oneshot-logger.js';
import { logTaskChange } from '../log/task-change-log.js';
import type { FleetService } from '../service/fleet-service.js';
import type { HistoryService } from '../service/history-service.js';
import type { ChangeActor } from '../service/change-log.js';
import type { Services } from '../service/services.js';
import type { TaskService } from '../service/task-service.js';
import type { Store } from '../store/open-store.js';
import { safeJson } from '../text.js';
import { hostname, userInfo } from 'node:os';
import { runStats } from './run-stats.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  /** Why, for the change log (the commands that change tasks take --reason). */
  reason?: string;
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
    this.services ??= Promise.all([
      import('../service/services.js'),
      import('../service/change-log.js'),
    ]).then(([{ openServices }, { parseReason }]) => {
      // --reason is checked before the services exist, so before anything is changed.
      const reason = parseReason(this.options.reason);
      // One command, one who: asked of the OS once, not for each task a file changes.
      let who: ChangeActor | undefined;
      return openServices({
        config: this.config,
        store: () => this.store(),
        onChange: (change) => logTaskChange(this.changeLog().logger, change, 'cli'),
        actor: () => (who ??= { via: 'cli', user: osUser(), host: hostname(), reason }),
        warn: (message) => process.stderr.write(`ktimer: ${message}\n`),
      });
    });
    return this.services;
  }

  async service(): Promise<TaskService> {
    return (await this.openServices()).tasks;
  }

  /** Who changed what (changes). */
  async changes(): Promise<Services['changes']> {
    return (await this.openServices()).changes;
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
    // The change log's entries of this command go before the connection closes.
    const services = await this.services?.catch(() => undefined);
    await services?.changes.flush();
    this.log?.flush();
    const store = this.opened;
    this.opened = undefined;
    await store?.close();
  }
}

/** The OS user running this command (the change log's who), or its uid where it has no name. */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '?');
  }
}
