// Definitions of the scripts that pause and resume tasks (lua/pause.lua, resume.lua): keys,
// arguments and checked replies, one status per task. docs/steering.md.
import type { Task } from '../tasks/task.js';
import { type Script, statusReply, unexpectedReply } from './script.js';
import { SWAP_ARGV, swapOf } from './task-scripts.js';

/** What became of one task: paused (or resumed), no such task, paused already (or not paused). */
export type PauseStatus = 'done' | 'missing' | 'already';
export type ResumeStatus = PauseStatus | 'changed';

/** One status per task, in the order given (the store checks the count). */
function statuses<S extends ResumeStatus>(script: string, reply: unknown, allowed: readonly S[]): S[] {
  if (!Array.isArray(reply)) throw unexpectedReply(script, reply);
  return reply.map((code) => statusReply(script, code, allowed));
}

const PAUSE_ARGV = { fixed: { now_sec: 'number' }, each: { kid: 'string' } } as const;

export const PAUSE: Script<{ nowSec: number; kids: readonly string[] }, PauseStatus[], typeof PAUSE_ARGV> = {
  name: 'pause',
  keys: ['pool', 'schedule', 'paused', 'queued', 'retrying', 'leases', 'fires', 'placement'],
  argv: PAUSE_ARGV,
  encode: ({ nowSec, kids }) => ({ fixed: { now_sec: nowSec }, each: kids.map((kid) => ({ kid })) }),
  decode: (reply) => statuses('pause', reply, ['done', 'missing', 'already']),
};

export interface Resume {
  kid: string;
  /** The task JSON as it was read: the write happens only if it is still that. */
  expectedRaw: string;
  /** The task resumed: no `paused`, its next run computed from now. */
  task: Task;
}

export const RESUME: Script<readonly Resume[], ResumeStatus[], typeof SWAP_ARGV> = {
  name: 'resume',
  keys: ['pool', 'schedule', 'paused', 'placement'],
  argv: SWAP_ARGV,
  encode: (items) => ({ fixed: {}, each: items.map(swapOf) }),
  decode: (reply) => statuses('resume', reply, ['done', 'missing', 'changed', 'already']),
};
