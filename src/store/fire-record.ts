// A fire: one run of a task, as claim.lua records it in the fires hash and hands it to a daemon.
// Read back from JSON with every field checked, so the daemon never runs half a record.
import { type CommandKind, isTaskType, type TaskType } from '../tasks/task.js';
import { unexpectedReply } from './script.js';

export interface Fire {
  /** kid:run_num, unique per fire. */
  id: string;
  kid: string;
  type: TaskType;
  /** Shell command or URL call: decided once, by the claim. */
  kind: CommandKind;
  command: string;
  /** The run_nexttime that came due, unix seconds. */
  due: number;
  run_num: number;
  limit: number;
  /** When it was claimed, unix ms (Redis clock). */
  claimed: number;
  owner: string;
  /** Names this lease: only its holder may begin the fire. */
  token: string;
  /** Set when the fire was taken over from a daemon whose lease ran out. */
  retaken_from?: string;
  /** The task's own timeout, whole seconds (-timeout); absent: task_timeout applies. */
  timeout?: number;
  /** What started it; absent: the schedule. */
  trigger?: 'manual' | 'retry';
  /** A retry: which attempt (2, 3 ...), and the first attempt's fire id. */
  attempt?: number;
  first?: string;
  /** Retries of a failed run (-retries) and the first one's delay, seconds; absent: none. */
  retries?: number;
  retry_delay?: number;
}

const STRINGS = ['id', 'kid', 'command', 'owner', 'token'] as const;
const NUMBERS = ['due', 'run_num', 'limit', 'claimed'] as const;

/** The fire in `json` (from `script`'s reply), or an 'internal' error naming the script. */
export function decodeFire(script: string, json: unknown): Fire {
  const v = parseObject(json);
  const valid =
    v !== null &&
    STRINGS.every((f) => typeof v[f] === 'string') &&
    NUMBERS.every((f) => typeof v[f] === 'number' && Number.isFinite(v[f])) &&
    isTaskType(v.type) &&
    (v.kind === 'shell' || v.kind === 'url') &&
    (v.retaken_from === undefined || typeof v.retaken_from === 'string') &&
    optionalWhole(v.timeout, 1) &&
    optionalWhole(v.attempt, 1) &&
    optionalWhole(v.retries, 1) &&
    optionalWhole(v.retry_delay, 1) &&
    (v.trigger === undefined || v.trigger === 'manual' || v.trigger === 'retry') &&
    (v.first === undefined || typeof v.first === 'string');
  if (!valid) throw unexpectedReply(script, json);
  const fire: Fire = {
    id: v.id as string,
    kid: v.kid as string,
    type: v.type as TaskType,
    kind: v.kind as CommandKind,
    command: v.command as string,
    due: v.due as number,
    run_num: v.run_num as number,
    limit: v.limit as number,
    claimed: v.claimed as number,
    owner: v.owner as string,
    token: v.token as string,
  };
  if (typeof v.retaken_from === 'string') fire.retaken_from = v.retaken_from;
  if (typeof v.timeout === 'number') fire.timeout = v.timeout;
  if (v.trigger === 'manual' || v.trigger === 'retry') fire.trigger = v.trigger;
  if (typeof v.attempt === 'number') fire.attempt = v.attempt;
  if (typeof v.first === 'string') fire.first = v.first;
  if (typeof v.retries === 'number' && typeof v.retry_delay === 'number') {
    fire.retries = v.retries;
    fire.retry_delay = v.retry_delay;
  }
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
