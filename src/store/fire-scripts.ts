// Definitions of the daemon's scripts (lua/claim.lua, begin.lua, finish.lua): keys, arguments
// and checked replies. "Now" always comes in as an argument (unix ms on the Redis clock).
import { CRON_LOW_WATER } from '../tasks/schedule.js';
import { isMisfire, type Misfire } from '../tasks/task.js';
import { decodeFire, type Fire } from './fire-record.js';
import { countReply, type Script, unexpectedReply } from './script.js';

export type ClaimEntry =
  | { kind: 'fire'; fire: Fire }
  | { kind: 'expired'; kid: string; raw: string }
  | { kind: 'corrupt'; kid: string; raw: string }
  | { kind: 'abandoned'; fire: AbandonedFire }
  /** Runs of a ticker or cron task that were not fired, from firstDueMs on, by its misfire policy. */
  | { kind: 'missed'; kid: string; policy: Misfire; count: number; firstDueMs: number; nextDueMs: number }
  /** A cron task that needs its next run times computed (as stored now: raw). */
  | { kind: 'refill'; kid: string; raw: string };

/** A fire begun by a daemon that vanished before it reported the command started. */
export type AbandonedFire = Pick<Fire, 'id' | 'kid' | 'owner'>;

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
  /** A cron task carrying fewer run times than this is reported for a refill; default CRON_LOW_WATER. */
  cronLowWater?: number;
  /** Fires this owner has started since its last claim: their records are removed. */
  started: readonly string[];
}

export interface ClaimReply {
  /** Earliest schedule score or lease deadline left, unix ms (with a fraction); null: none. */
  nextDueMs: number | null;
  /**
   * What is still due: null nothing; 'room' it waits for a free slot; 'more' the claim stopped at
   * its budget with room left (claim again at once).
   */
  dueLeft: 'room' | 'more' | null;
  entries: ClaimEntry[];
}

/** Passing over as many due tasks as there are free slots, plus 100. */
export const fullSkip = (req: Pick<ClaimRequest, 'maxShell' | 'maxUrl'>): number =>
  req.maxShell + req.maxUrl + 100;

export const CLAIM: Script<ClaimRequest, ClaimReply> = {
  name: 'claim',
  keys: ['pool', 'schedule', 'leases', 'fires'],
  encode: (req) => [
    // With its fraction: a score written with sub-ms precision is due exactly when it says.
    req.nowMs,
    req.owner,
    req.leaseMs,
    req.maxShell,
    req.maxUrl,
    req.expireLimitSec,
    req.maxSkip ?? fullSkip(req),
    req.cronLowWater ?? CRON_LOW_WATER,
    ...req.started,
  ],
  decode: (reply) => {
    if (!Array.isArray(reply)) throw unexpectedReply('claim', reply);
    const [score, leaseMs, left] = reply as unknown[];
    const scoreMs = typeof score === 'string' ? Number(score) * 1000 : null;
    if (
      (score !== null && !Number.isFinite(scoreMs)) ||
      typeof leaseMs !== 'number' ||
      ![0, 1, 2].includes(left as number)
    )
      throw unexpectedReply('claim', reply);
    const due = [scoreMs, leaseMs < 0 ? null : leaseMs].filter((v): v is number => v !== null);
    return {
      nextDueMs: due.length === 0 ? null : Math.min(...due),
      dueLeft: left === 2 ? 'more' : left === 1 ? 'room' : null,
      entries: (reply.slice(3) as unknown[]).map(claimEntry),
    };
  },
};

function claimEntry(item: unknown): ClaimEntry {
  if (!Array.isArray(item)) throw unexpectedReply('claim', item);
  const [kind, a, b] = item as unknown[];
  if (kind === 'fire') return { kind, fire: decodeFire('claim', a) };
  if (kind === 'abandoned') return { kind, fire: decodeAbandoned(a) };
  if ((kind === 'expired' || kind === 'corrupt') && typeof a === 'string')
    return { kind, kid: a, raw: typeof b === 'string' ? b : '' };
  if (kind === 'refill' && typeof a === 'string' && typeof b === 'string') return { kind, kid: a, raw: b };
  const [, , , count, firstDueMs, nextDueMs] = item as unknown[];
  if (
    kind === 'missed' &&
    typeof a === 'string' &&
    isMisfire(b) &&
    [count, firstDueMs, nextDueMs].every(isWhole)
  )
    return {
      kind,
      kid: a,
      policy: b,
      count: count as number,
      firstDueMs: firstDueMs as number,
      nextDueMs: nextDueMs as number,
    };
  throw unexpectedReply('claim', item);
}

const isWhole = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);

/** Only logged: read leniently (the record may come from an older daemon). */
function decodeAbandoned(json: unknown): AbandonedFire {
  let v: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(String(json));
    if (typeof parsed === 'object' && parsed !== null) v = parsed as Record<string, unknown>;
  } catch {
    // logged with what is known
  }
  const text = (x: unknown) => (typeof x === 'string' ? x : '?');
  return { id: text(v.id), kid: text(v.kid), owner: text(v.owner) };
}

export interface BeginRequest {
  nowMs: number;
  owner: string;
  /** How long a begun record is kept if its daemon never reports it started. */
  keepMs: number;
  fires: readonly Pick<Fire, 'id' | 'token'>[];
}

/** One boolean per fire: true when this owner's lease (id and token) holds and it is begun. */
export const BEGIN: Script<BeginRequest, boolean[]> = {
  name: 'begin',
  keys: ['leases', 'fires'],
  encode: (req) => [
    Math.floor(req.nowMs),
    req.owner,
    req.keepMs,
    ...req.fires.flatMap((f) => [f.id, f.token]),
  ],
  decode: (reply) => {
    if (!Array.isArray(reply) || !reply.every((v) => v === 0 || v === 1))
      throw unexpectedReply('begin', reply);
    return reply.map((v) => v === 1);
  },
};

export const FINISH: Script<{ owner: string; ids: readonly string[] }, number> = {
  name: 'finish',
  keys: ['leases', 'fires'],
  encode: ({ owner, ids }) => [owner, ...ids],
  decode: (reply) => countReply('finish', reply),
};
