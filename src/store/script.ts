// The typed boundary to the Lua scripts of lua/*.lua. Each script has one definition: its file
// name, its KEYS by name, its ARGV as a named layout, how typed arguments fill that layout, and
// how the reply is checked and typed. A script reads its ARGV by the same names, through the
// accessor generated from the layouts (lua/include/generated.lua, store/lua-generated.ts).
// Scripts are registered once per client, on first use (a one-shot command reads only its own).
// Every script opens with its contract (KEYS, ARGV, returns); test/unit/lua-contracts keeps those
// headers and these definitions in step.
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { KtimerError } from '../errors.js';
import type { StoreKeys } from './keys.js';
import { scriptSource } from './lua-source.js';
import { BY_EVAL, callFunction, FUNCTION_SCRIPTS, type Library, libraryOf } from './redis-functions.js';

export type RedisClient = Redis | Cluster;
export type ScriptArg = string | number;

/**
 * How one argument goes over (TypeScript value -> ARGV string -> Lua value): `number` a number
 * (Lua: tonumber), `number?` one or none (null -> '' -> nil), `string` text as it is, `string?`
 * text or none ('' -> nil), `flag` true or false ('1' or '' -> true or nil), `score` a number or a
 * string such as '-inf' that Lua hands to Redis as it came (a sorted set's score, unchanged),
 * `setting` a number Lua keeps as its text until it uses it (tonumber there: a setting that most
 * calls never read, whose conversion each call would cost).
 */
export type ArgKind = 'number' | 'number?' | 'string' | 'string?' | 'flag' | 'score' | 'setting';
/** Argument names and kinds, in ARGV order. */
export type ArgLayout = Readonly<Record<string, ArgKind>>;

/** A script's ARGV: its fixed arguments, then `each` repeated once per item (a batch). */
export interface Argv {
  readonly fixed: ArgLayout;
  readonly each: ArgLayout;
}

interface ArgValueOf {
  number: number;
  'number?': number | null;
  string: string;
  'string?': string | null;
  flag: boolean;
  score: number | string;
  setting: number;
}
export type ArgValues<L extends ArgLayout> = { readonly [N in keyof L]: ArgValueOf[L[N]] };

/** A call's arguments by name: the fixed ones, and one set per item of the batch. */
export interface NamedArgs<A extends Argv> {
  fixed: ArgValues<A['fixed']>;
  each?: readonly ArgValues<A['each']>[];
}

export interface Script<Args, Reply, A extends Argv = Argv> {
  /** lua/<name>.lua */
  readonly name: string;
  /** KEYS[1..n], by their name in StoreKeys. */
  readonly keys: readonly (keyof StoreKeys)[];
  readonly argv: A;
  encode(args: Args): NamedArgs<A>;
  /** The reply, checked; anything else throws unexpectedReply(). */
  decode(reply: unknown): Reply;
}

/** No arguments of a kind: a script without a batch has `each: NONE`. */
export const NONE = {} as const;

/** ARGV in the layout's order. */
export function argvOf<A extends Argv>(argv: A, named: NamedArgs<A>): ScriptArg[] {
  // One array, filled in place: a batch of 1,000 rows is thousands of arguments.
  const out: ScriptArg[] = [];
  const fill = (layout: readonly [string, ArgKind][], values: Readonly<Record<string, unknown>>): void => {
    for (const [name, kind] of layout) out.push(argOf(kind, values[name]));
  };
  fill(Object.entries(argv.fixed), named.fixed);
  const each = Object.entries(argv.each);
  for (const item of named.each ?? []) fill(each, item);
  return out;
}

function argOf(kind: ArgKind, value: unknown): ScriptArg {
  if (kind === 'flag') return value === true ? '1' : '';
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'string') return value;
  throw new KtimerError('internal', `a script argument of kind ${kind} is ${typeof value}`);
}

/**
 * The status codes scripts return, one meaning each (a script's header says which it uses).
 * The Lua files return these numbers.
 */
export const STATUS = {
  done: 1,
  missing: 0,
  full: -1,
  exists: -2,
  changed: -3,
  already: -4,
  /** A lock the caller does not hold (it ran out, or another took it). */
  unlocked: -5,
} as const;
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
 * A script's source, with each `--#include FILE` line replaced by lua/FILE (code two scripts
 * share), pruned to the definitions the script reaches (lua-source.ts). Beside this module:
 * src/store/lua under tsx, dist/bundle/lua in the build.
 */
export function readLua(file: string): string {
  return scriptSource(file, (f) => readFileSync(new URL(`./lua/${f}`, import.meta.url), 'utf8'));
}

const libraries = new Map<string, Library>();

/** A hot script's library (redis-functions.ts), made once per process. */
function libraryFor(name: string): Library {
  let lib = libraries.get(name);
  if (!lib) {
    lib = libraryOf(name, readLua(`${name}.lua`));
    libraries.set(name, lib);
  }
  return lib;
}

/** Runs `script` with its keys from `keys`; resolves with the checked reply. */
export async function runScript<Args, Reply, A extends Argv>(
  client: RedisClient,
  keys: StoreKeys,
  script: Script<Args, Reply, A>,
  args: Args,
): Promise<Reply> {
  const keyNames = script.keys.map((k) => keys[k]);
  const argv = argvOf(script.argv, script.encode(args));
  if (FUNCTION_SCRIPTS.has(script.name)) {
    const reply = await callFunction(client, libraryFor(script.name), keyNames, argv);
    if (reply !== BY_EVAL) return script.decode(reply);
  }
  register(client, script);
  // defineCommand put the script on the client as a method of that name (not in ioredis' types).
  const command: unknown = Reflect.get(client, `kt_${script.name}`);
  if (typeof command !== 'function')
    throw new KtimerError('internal', `script ${script.name} is not defined`);
  const reply: unknown = await Reflect.apply(command, client, [...keyNames, ...argv]);
  return script.decode(reply);
}
