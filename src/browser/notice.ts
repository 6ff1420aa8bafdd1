// The one line that says what just happened (saved, paused, an error), read out by screen readers.
import { h } from './dom.js';

let area: HTMLElement | null = null;

export function noticeArea(): HTMLElement {
  area = h('p', { id: 'notice', role: 'status', 'aria-live': 'polite' });
  return area;
}

export function notify(message: string, isError = false): void {
  if (!area) return;
  area.textContent = message;
  area.className = isError ? 'error' : 'ok';
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
