// ktimer reshard --to K [--dry-run]: changes the fleet's number of schedule shards (docs/shards.md).
// Refused while a daemon of the fleet runs or a run is handed out: nothing fires while tasks move.
// It moves every task and its history to its shard of K, then records K beside the fleet's name;
// every conf.ini then needs [redis] shards = K. Run again after a crash, it finishes the move.
import { MAX_SHARDS } from '../../config/config-keys.js';
import { KtimerError, usageError } from '../../errors.js';
import { DAEMON_LIVE_MS } from '../../store/open-store.js';
import type { CliContext } from '../context.js';

export async function run(
  ctx: CliContext,
  _words: string[],
  opts: { to: string; dryRun?: true },
): Promise<void> {
  const to = Number(opts.to);
  if (!/^\d+$/.test(opts.to) || to < 1 || to > MAX_SHARDS)
    throw usageError(`--to ${opts.to} is invalid; expected a whole number from 1 to ${MAX_SHARDS}`);
  const store = await ctx.store();
  const from = store.shards.count;
  const { nowMs, daemons } = await store.fleet.daemons();
  const live = daemons.filter((d) => nowMs - d.seen_ms <= DAEMON_LIVE_MS).map((d) => d.name);
  if (live.length > 0)
    throw new KtimerError(
      'daemon',
      `reshard refused: ${live.length} daemon${live.length === 1 ? '' : 's'} of the fleet ${live.length === 1 ? 'runs' : 'run'} (${live.join(', ')}); stop ${live.length === 1 ? 'it' : 'them'} with \`ktimer stop\`, then reshard: nothing was moved`,
    );
  const resharder = store.resharder(to);
  const handed = await resharder.handedOut();
  if (handed > 0)
    throw new KtimerError(
      'busy',
      `reshard refused: ${handed} run${handed === 1 ? ' is' : 's are'} handed out (waiting, queued or running); start a daemon to let ${handed === 1 ? 'it' : 'them'} end, stop it, then reshard: nothing was moved`,
    );
  const count = await resharder.count();
  if (opts.dryRun === true || to === from) {
    const what =
      to === from
        ? `the fleet has ${from} shard${from === 1 ? '' : 's'} already`
        : `reshard from ${from} to ${to} shards`;
    ctx.print(`${what}: ${tasks(count.tasks)}, ${count.moving} would move; nothing was moved`, {
      ...count,
      moved: 0,
    });
    return;
  }
  const moved = await resharder.run();
  await store.fleet.recordShards(to);
  ctx.print(
    `resharded from ${from} to ${to} shards: ${moved} of ${tasks(count.tasks)} moved; set [redis] shards = ${to} in every conf.ini of the fleet`,
    { ...count, moved },
  );
}

const tasks = (n: number): string => `${n} task${n === 1 ? '' : 's'}`;
