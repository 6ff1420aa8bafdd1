// The typed boundary to the Lua scripts of lua/*.lua. Each script has one definition: its file
// name, its KEYS by name, how typed arguments become ARGV, and how the reply is checked and
// typed. Scripts are registered once per client, on first use (a one-shot command reads only
// its own). Every script opens with its contract (KEYS, ARGV, returns); test/unit/lua-contracts
// keeps those headers and these definitions in step.
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { KtimerError } from '../errors.js';
import type { StoreKeys } from './keys.js';

export type RedisClient = Redis | Cluster;
export type ScriptArg = string | number;

export interface Script<Args, Reply> {
  /** lua/<name>.lua */
  readonly name: string;
  /** KEYS[1..n], by their name in StoreKeys. */
  readonly keys: readonly (keyof StoreKeys)[];
  encode(args: Args): ScriptArg[];
  /** The reply, checked; anything else throws unexpectedReply(). */
  decode(reply: unknown): Reply;
}

/**
 * The status codes scripts return, one meaning each (a script's header says which it uses).
 * The Lua files return these numbers.
 */
export const STATUS = { done: 1, missing: 0, full: -1, exists: -2, changed: -3, already: -4 } as const;
export type Status = keyof typeof STATUS;

const statusByCode = new Map<unknown, Status>(
  Object.entries(STATUS).map(([name, code]) => [code, name as Status]),
);

/** A status reply, one of `allowed`. */
export function statusReply<S extends Status>(script: string, reply: unknown, allowed: readonly S[]): S {
  const status = statusByCode.get(reply);
  if (status === undefined || !(allowed as readonly Status[]).includes(status))
    throw unexpectedReply(script, reply);
  return status as S;
}

/** A reply that is a whole number >= 0 (a count). */
export function countReply(script: string, reply: unknown): number {
  if (typeof reply !== 'number' || !Number.isSafeInteger(reply) || reply < 0)
    throw unexpectedReply(script, reply);
  return reply;
}

export function unexpectedReply(script: string, reply: unknown): KtimerError {
  return new KtimerError(
    'internal',
    `Redis script ${script} replied ${(JSON.stringify(reply) as string | undefined)?.slice(0, 200)}, which ktimer does not understand`,
  );
}

type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;
const defined = new WeakMap<object, Set<string>>();

function register(client: RedisClient, script: Script<never, unknown>): void {
  let names = defined.get(client);
  if (!names) {
    names = new Set();
    defined.set(client, names);
  }
  if (names.has(script.name)) return;
  const lua = readLua(`${script.name}.lua`);
  client.defineCommand(`kt_${script.name}`, { numberOfKeys: script.keys.length, lua });
  names.add(script.name);
}

/**
 * A script's source, with each `--#include FILE` line replaced by lua/FILE: code two scripts
 * share (Redis runs each script alone, with no modules). Beside this module: src/store/lua under
 * tsx, dist/bundle/lua in the build.
 */
export function readLua(file: string): string {
  const text = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
  return text.replace(/^--#include (\S+)$/gm, (_, included: string) => readLua(included));
}

/** Runs `script` with its keys from `keys`; resolves with the checked reply. */
export async function runScript<Args, Reply>(
  client: RedisClient,
  keys: StoreKeys,
  script: Script<Args, Reply>,
  args: Args,
): Promise<Reply> {
  register(client, script);
  const fn = (client as unknown as Record<string, ScriptFn>)[`kt_${script.name}`] as ScriptFn;
  const reply = await fn.call(client, ...script.keys.map((k) => keys[k]), ...script.encode(args));
  return script.decode(reply);
}
