// One browser's live feed (server-sent events): each run as an event `run` whose data is the
// run's summary as JSON (one line: JSON escapes newlines), a comment every 15 s so proxies and
// browsers keep the connection, and the end when the session ends or the browser goes. A browser
// that stops reading (paused, a sleeping laptop) is dropped once MAX_BEHIND_BYTES wait for it:
// the memory it held returns at once, and the page opens the feed again when it reads again.
import type { ServerResponse } from 'node:http';
import type { LiveRuns } from './live-runs.js';

const HEARTBEAT_MS = 15_000;
/**
 * How often a watcher's session is asked after (one EXISTS in Redis), whatever the number of
 * runs: a logout on any daemon, or the session's expiry, ends its feed within this.
 */
export const SESSION_CHECK_MS = 5_000;
/** Watchers of one web thread at most: each holds a connection (64 per address already). */
export const MAX_WATCHERS = 100;
/**
 * What may wait in the daemon for one watcher (beyond what the kernel holds), bytes: some 500
 * runs. 100 watchers hold 25 MiB at most.
 */
export const MAX_BEHIND_BYTES = 256 * 1024;

/**
 * Streams runs to `res` until the browser goes or `sessionHolds` says no (asked every
 * SESSION_CHECK_MS); resolves then.
 */
export function streamRuns(
  res: ServerResponse,
  live: LiveRuns,
  sessionHolds: () => Promise<boolean>,
): Promise<void> {
  if (live.watchers >= MAX_WATCHERS) {
    res.statusCode = 503;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`the live feed has ${MAX_WATCHERS} watchers already; retry later\n`);
    return Promise.resolve();
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  // The browser reconnects 3 s after a drop; runs put on record meanwhile are on the Runs page.
  res.write('retry: 3000\n\n');
  return new Promise((resolve) => {
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      unsubscribe();
      clearInterval(heartbeat);
      clearInterval(sessionCheck);
      if (!res.writableEnded) res.end();
      resolve();
    };
    // res.write's answer (false: buffered) says nothing of how much: the buffer's length does.
    const send = (text: string) => {
      if (res.writableLength <= MAX_BEHIND_BYTES) res.write(text);
      else {
        res.destroy();
        end();
      }
    };
    const unsubscribe = live.subscribe((run) => {
      send(`event: run\ndata: ${JSON.stringify(run)}\n\n`);
    });
    const heartbeat = setInterval(() => send(': still here\n\n'), HEARTBEAT_MS);
    let asking = false;
    const sessionCheck = setInterval(() => {
      if (asking) return;
      asking = true;
      sessionHolds()
        .then(
          (holds) => {
            if (!holds) end();
          },
          // Redis away: the session is not known to have ended (no logout for an outage); the
          // feed, which reads Redis too, waits with it, and the next check asks again.
          () => {},
        )
        .finally(() => {
          asking = false;
        });
    }, SESSION_CHECK_MS);
    res.once('close', end);
  });
}
