// The daemon's side of the store: claim due fires, begin them, forget them once started
// (lua/claim.lua, begin.lua, finish.lua). Each call is one script, one round trip.
import { KtimerError } from '../errors.js';
import type { TaskType } from '../tasks/task.js';
import type { StoreKeys } from './keys.js';
import { type RedisClient, runScript } from './scripts.js';

/** One fire of a task, as claimed: what to run and when it was due. */
export interface Fire {
  /** kid:run_num, unique per fire. */
  id: string;
  kid: string;
  type: TaskType;
  command: string;
  /** The run_nexttime that came due, unix seconds. */
  due: number;
  run_num: number;
  limit: number;
  /** When it was claimed, unix ms. */
  claimed: number;
  owner: string;
  /** Names this lease: only its holder may begin the fire. */
  token: string;
  /** Set when the fire was taken over from a daemon whose lease ran out. */
  retaken_from?: string;
}

export type ClaimEntry =
  | { kind: 'fire'; fire: Fire }
  | { kind: 'expired'; kid: string; raw: string }
  | { kind: 'corrupt'; kid: string; raw: string }
  | { kind: 'abandoned'; fire: Fire };

export interface ClaimRequest {
  nowMs: number;
  owner: string;
  leaseMs: number;
  maxShell: number;
  maxUrl: number;
  expireLimitSec: number;
  /**
   * How many due tasks of a kind without room the claim may pass over to reach the other kind
   * (each costs Redis a lookup); default: fullSkip().
   */
  maxSkip?: number;
  /** Fires this owner has started since its last claim. */
  started: readonly string[];
}

export interface ClaimReply {
  /** Earliest schedule score or lease deadline left, unix ms; null when there is none. */
  nextDueMs: number | null;
  entries: ClaimEntry[];
}

/** Passing over as many due tasks as there are free slots, plus 100. */
export const fullSkip = (req: Pick<ClaimRequest, 'maxShell' | 'maxUrl'>): number =>
  req.maxShell + req.maxUrl + 100;

export class FireStore {
  constructor(
    readonly client: RedisClient,
    readonly keys: StoreKeys,
  ) {}

  async claim(req: ClaimRequest): Promise<ClaimReply> {
    const k = this.keys;
    const reply = await runScript(
      this.client,
      'claim',
      [k.pool, k.schedule, k.leases, k.fires],
      [
        Math.floor(req.nowMs),
        req.owner,
        req.leaseMs,
        req.maxShell,
        req.maxUrl,
        req.expireLimitSec,
        req.maxSkip ?? fullSkip(req),
        ...req.started,
      ],
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'number') throw unexpected('claim', reply);
    const entries: ClaimEntry[] = [];
    for (const item of reply.slice(1) as unknown[]) {
      if (!Array.isArray(item)) throw unexpected('claim', item);
      const [kind, a, b] = item as [string, string, string | null];
      if (kind === 'fire' || kind === 'abandoned') entries.push({ kind, fire: JSON.parse(a) as Fire });
      else if (kind === 'expired' || kind === 'corrupt') entries.push({ kind, kid: a, raw: b ?? '' });
      else throw unexpected('claim', item);
    }
    return { nextDueMs: reply[0] < 0 ? null : reply[0], entries };
  }

  /** Marks fires started; true for each fire whose lease (id and token) this owner holds. */
  async begin(
    nowMs: number,
    owner: string,
    keepMs: number,
    fires: readonly Pick<Fire, 'id' | 'token'>[],
  ): Promise<boolean[]> {
    if (fires.length === 0) return [];
    const reply = await runScript(
      this.client,
      'begin',
      [this.keys.leases, this.keys.fires],
      [Math.floor(nowMs), owner, keepMs, ...fires.flatMap((f) => [f.id, f.token])],
    );
    if (!Array.isArray(reply) || reply.length !== fires.length) throw unexpected('begin', reply);
    return reply.map((v) => v === 1);
  }

  /** WAIT: how many replicas have every write made so far on this connection. */
  async replicasConfirming(count: number, timeoutMs: number): Promise<number> {
    return Number(await this.client.call('WAIT', count, timeoutMs));
  }

  /** The server's clock, unix ms with microsecond precision. */
  async serverTimeMs(): Promise<number> {
    const [sec, usec] = await this.client.time();
    return Number(sec) * 1000 + Number(usec) / 1000;
  }

  async finish(owner: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return Number(
      await runScript(this.client, 'finish', [this.keys.leases, this.keys.fires], [owner, ...ids]),
    );
  }
}

function unexpected(script: string, reply: unknown): KtimerError {
  return new KtimerError(
    'internal',
    `Redis script ${script} replied ${JSON.stringify(reply)?.slice(0, 200)}, which ktimer does not understand`,
  );
}
