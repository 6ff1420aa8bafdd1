// The live tail as the command line (`output --follow`) and the web API (`output_live`) read it:
// one page at a time, from where the last page ended. Each read also says that someone follows
// the run, so the daemon running it publishes its output (store/live-output-store.ts); the page
// says whether the run waits, runs or has ended, and once it is on record, the record. A page
// costs two round trips (the clock, then the rest at once), a third once the run is on record.
import { KtimerError } from '../errors.js';
import {
  type HistoryStore,
  type LiveChunk,
  type LiveOutputStore,
  type RunRecord,
  WATCH_MS,
} from '../store/open-store.js';

export interface LiveOutputPage {
  fire_id: string;
  /** waiting: handed out, not begun; running: begun; ended: on record, or its end was published. */
  state: 'waiting' | 'running' | 'ended';
  /** Output printed since the page before, in the order it was printed. */
  chunks: { stream: LiveChunk['stream']; text: string; dropped_bytes: number }[];
  /** The end of the run was among these entries (every chunk before it was published). */
  live_ended: boolean;
  /** Where the next page goes on from: give it as `after`. */
  next: string;
  /** Once ended and on record: the run's record with its whole output; null until then. */
  record: RunRecord | null;
}

export interface LiveOutputDeps {
  history: () => Promise<HistoryStore>;
  live: () => Promise<LiveOutputStore>;
  /** "Now" on the Redis server's clock. */
  nowMs: () => Promise<number>;
}

/** The page of fire `fireId`'s output after `after` ('' from its start). */
export async function liveOutputPage(
  deps: LiveOutputDeps,
  fireId: string,
  after: string,
): Promise<LiveOutputPage> {
  const from = checkedAfter(after);
  const [live, history, nowMs] = await Promise.all([deps.live(), deps.history(), deps.nowMs()]);
  // One round trip after the clock's (the commands sent together on the connection): the watch,
  // the output, and the run's state (not needed when its end is among the entries, but cheap).
  const [, entries, fireState] = await Promise.all([
    live.watch(fireId, nowMs, nowMs + WATCH_MS),
    live.read(fireId, from),
    history.stateOf(fireId),
  ]);
  const chunks = entries.flatMap((e) =>
    'chunk' in e ? [{ stream: e.chunk.stream, text: e.chunk.text, dropped_bytes: e.chunk.droppedBytes }] : [],
  );
  const liveEnded = entries.some((e) => 'ended' in e);
  const page = { fire_id: fireId, chunks, live_ended: liveEnded, next: entries.at(-1)?.id ?? after };
  const state = liveEnded ? null : fireState;
  if (state === 'started') return { ...page, state: 'running', record: null };
  if (state !== null) return { ...page, state: 'waiting', record: null };
  const record = await history.byFireId(fireId);
  if (!record && !liveEnded)
    throw new KtimerError(
      'not_found',
      `run ${fireId} is neither under way nor on record (history_per_task and history_max_age bound it)`,
    );
  return { ...page, state: 'ended', record };
}

/** A stream entry id (ms-seq), or '' for the start. */
function checkedAfter(after: string): string {
  if (after === '' || /^\d{1,15}-\d{1,15}$/.test(after)) return after;
  throw new KtimerError(
    'usage',
    `after "${after.slice(0, 40)}" is invalid; give the \`next\` of the page before (or nothing, from the start)`,
  );
}
