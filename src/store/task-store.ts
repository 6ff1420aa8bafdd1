// Typed access to the tasks in Redis. Every write is one Lua script, so the hash and the
// schedule always agree; reads are single commands or one script.
import { KtimerError } from '../errors.js';
import { decodeTask, encodeTask, type Task, toSec } from '../tasks/task.js';
import type { StoreKeys } from './keys.js';
import { type RedisClient, runScript } from './scripts.js';

export type AddResult = 'added' | 'full' | 'exists';
export type UpdateResult = 'updated' | 'missing' | 'changed';

export interface StoredTask {
  task: Task;
  /** The JSON as stored: what update() compares against. */
  raw: string;
}

export interface ListPage {
  total: number;
  rows: { kid: string; raw: string | null }[];
}

export class TaskStore {
  constructor(
    readonly client: RedisClient,
    readonly keys: StoreKeys,
  ) {}

  private get taskKeys(): string[] {
    return [this.keys.pool, this.keys.schedule];
  }

  count(): Promise<number> {
    return this.client.hlen(this.keys.pool);
  }

  async get(kid: string): Promise<StoredTask | null> {
    const raw = await this.client.hget(this.keys.pool, kid);
    return raw === null ? null : { task: decodeTask(kid, raw), raw };
  }

  async add(kid: string, task: Task, maxNum: number): Promise<AddResult> {
    const res = await runScript(this.client, 'add', this.taskKeys, [
      kid,
      encodeTask(task),
      task.run_nexttime,
      maxNum,
    ]);
    if (res === 1) return 'added';
    if (res === -1) return 'full';
    if (res === -2) return 'exists';
    throw unexpected('add', res);
  }

  /** Adds a batch atomically: all of it, or none when it would pass maxNum or a kid exists. */
  async addMany(tasks: readonly { kid: string; task: Task }[], maxNum: number): Promise<AddResult> {
    const args = tasks.flatMap(({ kid, task }) => [kid, encodeTask(task), task.run_nexttime]);
    const res = await runScript(this.client, 'add_many', this.taskKeys, [maxNum, ...args]);
    if (res === tasks.length) return 'added';
    if (res === -1) return 'full';
    if (res === -2) return 'exists';
    throw unexpected('add_many', res);
  }

  async update(kid: string, expectedRaw: string, task: Task): Promise<UpdateResult> {
    const res = await runScript(this.client, 'update', this.taskKeys, [
      kid,
      expectedRaw,
      encodeTask(task),
      task.run_nexttime,
    ]);
    if (res === 1) return 'updated';
    if (res === 0) return 'missing';
    if (res === -1) return 'changed';
    throw unexpected('update', res);
  }

  async del(kids: readonly string[]): Promise<number> {
    if (kids.length === 0) return 0;
    return Number(await runScript(this.client, 'del', this.taskKeys, kids));
  }

  async clear(): Promise<number> {
    return Number(await runScript(this.client, 'clear', this.taskKeys, []));
  }

  /** Tasks whose next run lies in [fromMs, toMs] (null = open end), in order of next run. */
  async list(fromMs: number | null, toMs: number | null, offset: number, count: number): Promise<ListPage> {
    const from = fromMs === null ? '-inf' : String(toSec(fromMs));
    const to = toMs === null ? '+inf' : String(toSec(toMs));
    const res = await runScript(this.client, 'list', this.taskKeys, [from, to, offset, count]);
    if (!Array.isArray(res) || typeof res[0] !== 'number') throw unexpected('list', res);
    const rows: ListPage['rows'] = [];
    for (let i = 1; i + 1 < res.length; i += 2) {
      rows.push({ kid: String(res[i]), raw: typeof res[i + 1] === 'string' ? (res[i + 1] as string) : null });
    }
    return { total: res[0], rows };
  }

  /** The Redis server's clock, unix milliseconds: the one clock every machine agrees on. */
  async timeMs(): Promise<number> {
    const [sec, usec] = await this.client.time();
    return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
  }
}

function unexpected(script: string, reply: unknown): KtimerError {
  return new KtimerError(
    'internal',
    `Redis script ${script} replied ${JSON.stringify(reply)}, which ktimer does not understand`,
  );
}
