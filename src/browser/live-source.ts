// The live feed of runs (server-sent events from /ui/live), for the Live page and a task's page.
import { isRunSummary } from '../runs/record.js';
import { resumeSession } from './api.js';
import type { RunSummary } from './types.js';

/** The first wait before this page opens the feed again itself, and the longest, ms. */
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 30_000;

export function watchRuns(
  onRun: (run: RunSummary) => void,
  onState: (connected: boolean) => void = () => {},
): () => void {
  let source: EventSource | undefined;
  let retryTimer: number | undefined;
  let waitMs = RETRY_FIRST_MS;
  let stopped = false;
  const open = (): void => {
    const s = new EventSource('/ui/live');
    source = s;
    s.addEventListener('open', () => {
      waitMs = RETRY_FIRST_MS;
      onState(true);
    });
    s.addEventListener('error', () => {
      onState(false);
      // The browser opens a dropped feed again by itself, but not one answered with other than
      // 200 (503 while Redis is away, 401 once the session ended): then this page does, after a
      // wait, unless the session is gone (resumeSession shows the login form).
      if (stopped || s.readyState !== EventSource.CLOSED) return;
      retryTimer = window.setTimeout(() => void reopen(), waitMs);
      waitMs = Math.min(waitMs * 2, RETRY_MAX_MS);
    });
    s.addEventListener('run', (event) => {
      const run = runOf(event);
      if (run) onRun(run);
    });
  };
  const reopen = async (): Promise<void> => {
    let held = true;
    try {
      held = await resumeSession();
    } catch {
      // The daemon or its Redis cannot say now: the feed's answer will tell.
    }
    if (!stopped && held) open();
  };
  open();
  return () => {
    stopped = true;
    window.clearTimeout(retryTimer);
    source?.close();
  };
}

/** The run an event carries, checked; null when it is none (ignored). */
function runOf(event: Event): RunSummary | null {
  if (!(event instanceof MessageEvent) || typeof event.data !== 'string') return null;
  try {
    const value: unknown = JSON.parse(event.data);
    return isRunSummary(value) ? value : null;
  } catch {
    return null;
  }
}
