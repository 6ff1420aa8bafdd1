// The Lua scripts of lua/*.lua, each registered once per client under its file name.
// Every script opens with its contract (KEYS, ARGV, returns).
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

/** Script name -> number of KEYS it takes. */
const SCRIPTS = {
  add: 2,
  add_many: 2,
  update: 2,
  del: 2,
  clear: 2,
  list: 2,
  claim: 4,
  begin: 2,
  finish: 2,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

type ScriptArg = string | number;
type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

// Scripts are read and registered on first use, so a one-shot command reads only its own.
const defined = new WeakMap<object, Set<ScriptName>>();

function define(client: RedisClient, name: ScriptName): void {
  let names = defined.get(client);
  if (!names) {
    names = new Set();
    defined.set(client, names);
  }
  if (names.has(name)) return;
  // Beside this module: src/store/lua under tsx, dist/bundle/lua in the build.
  const lua = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
  client.defineCommand(`kt_${name}`, { numberOfKeys: SCRIPTS[name], lua });
  names.add(name);
}

/** Runs a registered script: keys first, then arguments. */
export function runScript(
  client: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
): Promise<unknown> {
  define(client, name);
  const fn = (client as unknown as Record<string, ScriptFn>)[`kt_${name}`];
  if (!fn) throw new Error(`script ${name} is not registered`);
  return fn.call(client, ...keys, ...args);
}
