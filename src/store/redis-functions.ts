// The hot scripts (a fire's claim, begin, renew and finish) run as Redis Functions where the
// server allows: a library's top level (a script's includes: ~100 local functions and tables for
// the claim) runs once, at FUNCTION LOAD, where EVALSHA makes it all again at every call, a
// quarter of the claim's Lua time (bench/RESULTS.md, issue 28). Each library and function is
// named by the hash of its code, never replaced: daemons of two versions in one fleet each call
// their own. EVALSHA stays the way where Functions are not to be had (Redis before 7, or an ACL
// user without FUNCTION or FCALL), said once per client. A library gone (a new master after a
// failover, a Redis restarted without its data, FUNCTION FLUSH) is loaded again, on every master
// of a Cluster.
import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import { messageOf } from '../errors.js';
import { BODY } from './lua-source.js';
import type { RedisClient, ScriptArg } from './script.js';

/** The scripts run as Functions: those of every fire. */
export const FUNCTION_SCRIPTS: ReadonlySet<string> = new Set(['claim', 'begin', 'renew', 'finish']);

/** A script as a library: its code for FUNCTION LOAD and the one function it registers. */
export interface Library {
  readonly code: string;
  readonly fn: string;
}

/**
 * `source` (a spliced script: its includes, BODY, its body) as a library. The includes are the
 * library's top level; KEYS and ARGV, globals of a script, are the library's locals, set at each
 * call before the body runs (so an include's top level must hold no per-call state).
 */
export function libraryOf(name: string, source: string): Library {
  const at = source.indexOf(`\n${BODY}\n`);
  if (at < 0) throw new Error(`${name}.lua has no ${BODY} line: not a spliced script`);
  const hash = createHash('sha1').update(source).digest('hex').slice(0, 16);
  const fn = `ktimer_${name}_${hash}`;
  const code = [
    `#!lua name=${fn}`,
    'local KEYS, ARGV',
    source.slice(0, at),
    `redis.register_function('${fn}', function(keys, args)`,
    'KEYS, ARGV = keys, args',
    source.slice(at + BODY.length + 2),
    'end)',
    '',
  ].join('\n');
  return { code, fn };
}

/** Per client: whether Functions may be used, and the libraries loaded on it. */
interface ClientState {
  refused: boolean;
  readonly loaded: Map<string, Promise<boolean>>;
}

const states = new WeakMap<RedisClient, ClientState>();
const noticeListeners = new WeakMap<RedisClient, (message: string) => void>();

/** Who hears that a client runs its scripts by EVALSHA, and why (once per client). */
export function onFunctionsNotice(client: RedisClient, listener: (message: string) => void): void {
  noticeListeners.set(client, listener);
}

/** This client runs every script by EVALSHA, as where Functions are refused, unsaid (benches). */
export function runByEvalOnly(client: RedisClient): void {
  stateOf(client).refused = true;
}

function stateOf(client: RedisClient): ClientState {
  let state = states.get(client);
  if (!state) {
    state = { refused: false, loaded: new Map() };
    states.set(client, state);
  }
  return state;
}

/**
 * The server will not have Functions from this client: too old, or the user may not, or it
 * refuses the library itself (test/integration/lua-load.test.ts keeps that from happening).
 */
const REFUSED = /unknown command|NOPERM|no permissions|Error registering functions|Error compiling function/i;
/** FCALL itself refused (never an error raised inside a function, which may have written). */
const FCALL_REFUSED = /^(?:NOPERM .*'fcall'|ERR unknown command .fcall)/i;

/** This client uses EVALSHA from now on: said once. */
function refuse(client: RedisClient, state: ClientState, why: unknown): void {
  if (!state.refused)
    noticeListeners.get(client)?.(
      `Redis refuses Functions (${messageOf(why)}): ktimer runs its scripts by EVALSHA, which costs Redis more CPU per fire; allow this user FUNCTION and FCALL (docs/fleet.md)`,
    );
  state.refused = true;
}

/**
 * Loads `lib` on the server (every master of a Cluster): true when it is there. A server that
 * refuses Functions turns this client to EVALSHA for good, said once; a master that cannot be
 * reached now is left to the reload when a call finds the library missing there.
 */
async function load(client: RedisClient, state: ClientState, lib: Library): Promise<boolean> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const results = await Promise.allSettled(
    nodes.map((node) =>
      node.call('FUNCTION', 'LOAD', lib.code).catch((err: unknown) => {
        if (!/already exists/.test(messageOf(err))) throw err;
      }),
    ),
  );
  const refusal = results.find((r) => r.status === 'rejected' && REFUSED.test(messageOf(r.reason)));
  if (refusal?.status === 'rejected') {
    refuse(client, state, refusal.reason);
    return false;
  }
  const failed = results.find((r) => r.status === 'rejected');
  if (failed?.status === 'rejected' && results.every((r) => r.status === 'rejected')) throw failed.reason;
  return true;
}

/** A typed marker: the caller runs the script by EVALSHA instead. */
export const BY_EVAL = Symbol('by EVALSHA');

/**
 * Calls `lib` by FCALL, loading it first on this client; BY_EVAL when this client is to use
 * EVALSHA. A call that finds the function missing ran nothing: the library is loaded again and
 * the call made once more.
 */
export async function callFunction(
  client: RedisClient,
  lib: Library,
  keys: readonly string[],
  argv: readonly ScriptArg[],
): Promise<unknown> {
  const state = stateOf(client);
  const fcall = (): Promise<unknown> => client.call('FCALL', lib.fn, keys.length, ...keys, ...argv);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (state.refused) return BY_EVAL;
    let loaded = state.loaded.get(lib.fn);
    if (!loaded) {
      loaded = load(client, state, lib);
      state.loaded.set(lib.fn, loaded);
      // A failed load (Redis away) is tried again at the next call.
      loaded.catch(() => state.loaded.delete(lib.fn));
    }
    if (!(await loaded)) return BY_EVAL;
    try {
      return await fcall();
    } catch (err) {
      // Refused or not found, the call ran nothing: EVALSHA, or this again once loaded.
      if (FCALL_REFUSED.test(messageOf(err))) refuse(client, state, err);
      else if (!/Function not found/i.test(messageOf(err))) throw err;
      if (state.loaded.get(lib.fn) === loaded) state.loaded.delete(lib.fn);
    }
  }
  return BY_EVAL;
}
