// The live feed of runs (server-sent events from /ui/live), for the Live page and a task's page.
// Read with fetch, not EventSource, which cannot send the session's header.
import { isRunSummary } from '../runs/record.js';
import { resumeSession, sessionEnded, sessionHeaders } from './api.js';
import type { RunSummary } from './types.js';

/** The first wait before this page opens the feed again, and the longest, ms. */
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 30_000;

/** Calls `onRun` with each run of the text/event-stream `body` until it ends. */
async function readEvents(body: ReadableStream<Uint8Array>, onRun: (run: RunSummary) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const lines = buffered.slice(0, end).split('\n');
      buffered = buffered.slice(end + 2);
      if (!lines.includes('event: run')) continue;
      const data = lines.find((l) => l.startsWith('data: '));
      const run = data ? runOf(data.slice('data: '.length)) : null;
      if (run) onRun(run);
    }
  }
}

export function watchRuns(
  onRun: (run: RunSummary) => void,
  onState: (connected: boolean) => void = () => {},
): () => void {
  const abort = new AbortController();
  let retryTimer: number | undefined;
  let waitMs = RETRY_FIRST_MS;
  // One read of the feed: false when it should not be opened again (stopped, or the session ended).
  const follow = async (): Promise<boolean> => {
    const res = await fetch('/ui/live', {
      credentials: 'same-origin',
      headers: sessionHeaders(),
      signal: abort.signal,
    });
    if (res.status === 401) {
      sessionEnded();
      return false;
    }
    if (!res.ok || !res.body) return true;
    waitMs = RETRY_FIRST_MS;
    onState(true);
    await readEvents(res.body, onRun);
    return true;
  };
  // Dropped (the daemon restarted, this tab fell behind) or refused (503 while Redis is away):
  // opened again after a wait, doubling, unless the session has gone meanwhile.
  const open = (): void => {
    void follow()
      .catch(() => true)
      .then((again) => {
        if (abort.signal.aborted || !again) return;
        onState(false);
        retryTimer = window.setTimeout(() => {
          void resumeSession()
            .catch(() => true)
            .then((held) => {
              if (held && !abort.signal.aborted) open();
            });
        }, waitMs);
        waitMs = Math.min(waitMs * 2, RETRY_MAX_MS);
      });
  };
  open();
  return () => {
    abort.abort();
    window.clearTimeout(retryTimer);
  };
}

/** The run an event's data carries, checked; null when it is none (ignored). */
function runOf(data: string): RunSummary | null {
  try {
    const value: unknown = JSON.parse(data);
    return isRunSummary(value) ? value : null;
  } catch {
    return null;
  }
}
