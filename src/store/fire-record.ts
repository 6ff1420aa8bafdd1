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
    (v.timeout === undefined || (Number.isSafeInteger(v.timeout) && (v.timeout as number) >= 1));
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
  return fire;
}

function parseObject(json: unknown): Record<string, unknown> | null {
  try {
    const value: unknown = typeof json === 'string' ? JSON.parse(json) : null;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
