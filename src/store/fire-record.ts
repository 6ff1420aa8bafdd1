// A fire as the fires hash keeps it (claim.lua, run.lua and finish.lua write it; src/runs/fire.ts
// says what it is), read back from JSON with every field checked, so the daemon never runs half a
// record. Its due time, stored in unix seconds, becomes unix ms here.
import type { Fire } from '../runs/fire.js';
import { isFireState } from '../runs/fire.js';
import { isCommandKind, isTaskType } from '../runs/kinds.js';
import { msOfSec } from '../runs/units.js';
import { unexpectedReply } from './script.js';

export type { Fire, FireState } from '../runs/fire.js';

const STRINGS = ['id', 'kid', 'command', 'owner', 'token'] as const;
const NUMBERS = ['due', 'run_num', 'limit', 'claimed'] as const;

/** The fire in `json` (from `script`'s reply), or an 'internal' error naming the script. */
export function decodeFire(script: string, json: unknown): Fire {
  const v = parseObject(json);
  if (v === null || !isValid(v)) throw unexpectedReply(script, json);
  const fire: Fire = {
    id: v.id as string,
    kid: v.kid as string,
    type: v.type as Fire['type'],
    kind: v.kind as Fire['kind'],
    command: v.command as string,
    state: v.state as Fire['state'],
    dueMs: msOfSec(v.due as number),
    run_num: v.run_num as number,
    limit: v.limit as number,
    claimedMs: v.claimed as number,
    owner: v.owner as string,
    token: v.token as string,
  };
  return withOptional(fire, v);
}

function isValid(v: Record<string, unknown>): boolean {
  return (
    STRINGS.every((f) => typeof v[f] === 'string') &&
    NUMBERS.every((f) => typeof v[f] === 'number' && Number.isFinite(v[f])) &&
    isTaskType(v.type) &&
    isCommandKind(v.kind) &&
    isFireState(v.state) &&
    (v.retaken_from === undefined || typeof v.retaken_from === 'string') &&
    (v.started === undefined || (typeof v.started === 'number' && Number.isFinite(v.started))) &&
    optionalWhole(v.timeout, 1) &&
    optionalWhole(v.attempt, 1) &&
    optionalWhole(v.retries, 1) &&
    optionalWhole(v.retry_delay, 1) &&
    (v.trigger === undefined || v.trigger === 'manual' || v.trigger === 'retry') &&
    (v.first === undefined || typeof v.first === 'string') &&
    RUN_TEXTS.every((f) => v[f] === undefined || typeof v[f] === 'string') &&
    (v.env === undefined || isStringMap(v.env)) &&
    optionalWhole(v.output_max, 0) &&
    (v.notify === undefined || v.notify === 'off')
  );
}

/** How its task runs (fire-of.lua): the text fields. */
const RUN_TEXTS = ['name', 'cwd', 'user'] as const;

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

/** The fields a fire has only where they apply. */
function withOptional(fire: Fire, v: Record<string, unknown>): Fire {
  if (typeof v.retaken_from === 'string') fire.retaken_from = v.retaken_from;
  if (typeof v.started === 'number') fire.startedMs = v.started;
  if (typeof v.timeout === 'number') fire.timeout = v.timeout;
  if (v.trigger === 'manual' || v.trigger === 'retry') fire.trigger = v.trigger;
  if (typeof v.attempt === 'number') fire.attempt = v.attempt;
  if (typeof v.first === 'string') fire.first = v.first;
  if (typeof v.retries === 'number' && typeof v.retry_delay === 'number') {
    fire.retries = v.retries;
    fire.retry_delay = v.retry_delay;
  }
  for (const f of RUN_TEXTS) if (typeof v[f] === 'string') fire[f] = v[f];
  if (isStringMap(v.env)) fire.env = v.env;
  if (typeof v.output_max === 'number') fire.output_max = v.output_max;
  if (v.notify === 'off') fire.notify = 'off';
  return fire;
}

const optionalWhole = (v: unknown, min: number): boolean =>
  v === undefined || (Number.isSafeInteger(v) && (v as number) >= min);

function parseObject(json: unknown): Record<string, unknown> | null {
  try {
    const value: unknown = typeof json === 'string' ? JSON.parse(json) : null;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
