// What every command action needs: the global options, the config (loaded on first use), the
// task service (Redis connected on first use), and output in human or --json form.
import type { Config } from '../config/config.js';
import { findConfig, type FoundConfig } from '../config/find-config.js';
import { loadConfig } from '../config/load-config.js';
import type { HistoryService } from '../service/history-service.js';
import type { TaskChange, TaskService } from '../service/task-service.js';
import type { Store } from '../store/open-store.js';
import { runStats } from './run-stats.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

export class CliContext {
  private cfg: Config | undefined;
  private opened: Store | undefined;
  private connected: Promise<Store> | undefined;
  private svc: TaskService | undefined;

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

  /** The store, connected on first use; one connection per command run. */
  store(): Promise<Store> {
    this.connected ??= this.openStore().then(async (store) => {
      await store.connect();
      runStats.usedRedis = true;
      return store;
    });
    return this.connected;
  }

  async service(): Promise<TaskService> {
    if (!this.svc) {
      const { TaskService } = await import('../service/task-service.js');
      this.svc = new TaskService({
        config: this.config,
        store: async () => (await this.store()).tasks,
        nowMs: async () => (await this.store()).serverTimeMs(),
        onChange: (change) => this.logChange(change),
      });
    }
    return this.svc;
  }

  /** The run history (history, runs, output). */
  async history(): Promise<HistoryService> {
    const { HistoryService } = await import('../service/history-service.js');
    const service = await this.service();
    return new HistoryService({
      history: async () => (await this.store()).history,
      resolveKid: (ref) => service.resolveHistoryKid(ref),
      nowMs: async () => (await this.store()).serverTimeMs(),
      timezone: this.config.task.timezone,
    });
  }

  private changes: ((change: TaskChange) => void) | undefined;

  /** runed.log gets every change; pino is loaded only by commands that change something. */
  private logChange(change: TaskChange): void {
    this.changes?.(change);
  }

  /** Call before a changing command runs, so the logger is ready when the change happens. */
  async prepareChangeLog(): Promise<void> {
    const [{ oneshotLogger }, { logTaskChange }] = await Promise.all([
      import('../log/oneshot-logger.js'),
      import('../log/task-change-log.js'),
    ]);
    const log = oneshotLogger(this.config.log.runed);
    this.changes = (change) => logTaskChange(log.logger, change, 'cli');
    this.flushLog = () => {
      log.flush();
    };
  }

  private flushLog: (() => void) | undefined;

  /** Prints the human form, or the data as one JSON document with --json. */
  print(human: string, data: unknown): void {
    process.stdout.write(this.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
  }

  async close(): Promise<void> {
    this.flushLog?.();
    const store = this.opened;
    this.opened = undefined;
    await store?.close();
  }
}
