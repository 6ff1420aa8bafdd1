// The one line that says what just happened (saved, paused, an error), read out by screen
// readers; and a quieter live region for summaries (a page's counts when they change, a minute
// of runs), never every line of a feed.
import { h } from './dom.js';

let area: HTMLElement | null = null;
let summaries: HTMLElement | null = null;
let lastSummary = '';

export function noticeArea(): HTMLElement[] {
  area = h('p', { id: 'notice', role: 'status', 'aria-live': 'polite' });
  summaries = h('p', { id: 'summary-live', class: 'visually-hidden', 'aria-live': 'polite' });
  lastSummary = '';
  return [area, summaries];
}

export function notify(message: string, isError = false): void {
  if (!area) return;
  area.textContent = message;
  area.className = isError ? 'error' : 'ok';
}

/** Says a summary once; the same summary again says nothing. */
export function announce(summary: string): void {
  if (!summaries || summary === lastSummary) return;
  lastSummary = summary;
  summaries.textContent = summary;
}

/** A page's summary line shown in `el`, and said (once) to screen readers. */
export function summarize(el: HTMLElement, summary: string): void {
  el.textContent = summary;
  announce(summary);
}

/** Runs `fn`; its failure becomes the notice (the server's message, one line). */
export async function attempt<T>(fn: () => Promise<T>, done?: string): Promise<T | undefined> {
  try {
    const value = await fn();
    if (done !== undefined) notify(done);
    return value;
  } catch (err) {
    notify((err as Error).message, true);
    return undefined;
  }
}
