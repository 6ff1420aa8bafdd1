// The live output of a run under way, on its task's page: lines appear as the command prints them.
// It reads issue 24's output feed, as the daemon serves it at GET /ui/output?fire_id=KID:RUN
// (server-sent events under the session: `output` events {stream, text, dropped_bytes}, then one
// `end` event with the run's summary). Until a daemon serves that feed (404), the slot says the
// output will be in the history once the run ends.
import { serves, sessionEnded, sessionHeaders } from './api.js';
import { h } from './dom.js';
import { readEvents } from './live-source.js';

/** Characters of output the tail keeps: the latest. */
const KEEP_CHARS = 65_536;

export class OutputTail {
  // A log, but not read aloud line by line (aria-live off): the state line above says what happens.
  readonly pre = h('pre', { class: 'tail', role: 'log', 'aria-live': 'off', 'aria-label': 'Live output' });
  readonly state = h('p', { class: 'muted' });
  readonly element = h('div', { class: 'output-tail' }, this.state, this.pre);
  private abort: AbortController | null = null;
  private fireId: string | null = null;

  /** Follows `fireId` (the same one again changes nothing). */
  follow(fireId: string): void {
    if (this.fireId === fireId) return;
    this.stop();
    this.fireId = fireId;
    this.pre.textContent = '';
    this.pre.hidden = !serves('output');
    if (!serves('output')) {
      this.state.textContent =
        'Live output needs a daemon that serves the output feed; the output is in the history once the run ends.';
      return;
    }
    this.state.textContent = `Live output of run ${fireId}: connecting...`;
    const abort = new AbortController();
    this.abort = abort;
    void this.read(fireId, abort.signal).catch(() => {
      if (!abort.signal.aborted)
        this.state.textContent =
          'The live output was cut off; the output is in the history once the run ends.';
    });
  }

  stop(): void {
    this.abort?.abort();
    this.abort = null;
    this.fireId = null;
  }

  private async read(fireId: string, signal: AbortSignal): Promise<void> {
    const res = await fetch(`/ui/output?fire_id=${encodeURIComponent(fireId)}`, {
      credentials: 'same-origin',
      headers: sessionHeaders(),
      signal,
    });
    if (res.status === 401) {
      sessionEnded();
      return;
    }
    if (!res.ok || !res.body) {
      this.state.textContent =
        res.status === 404
          ? 'Live output needs a daemon that serves the output feed; the output is in the history once the run ends.'
          : `No live output (HTTP ${res.status}); the output is in the history once the run ends.`;
      return;
    }
    this.state.textContent = `Live output of run ${fireId}, as it is printed:`;
    await readEvents(res.body, (name, data) => this.onEvent(name, data));
  }

  private onEvent(name: string, data: string): void {
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return;
    }
    if (name === 'output' && typeof value === 'object' && value !== null) {
      const chunk = value as { stream?: unknown; text?: unknown; dropped_bytes?: unknown };
      if (typeof chunk.text !== 'string') return;
      const dropped =
        typeof chunk.dropped_bytes === 'number' && chunk.dropped_bytes > 0
          ? `[${chunk.dropped_bytes} bytes not shown]\n`
          : '';
      const text = this.pre.textContent + dropped + chunk.text;
      this.pre.textContent = text.length > KEEP_CHARS ? text.slice(-KEEP_CHARS) : text;
    } else if (name === 'end') {
      const result = (value as { result?: unknown } | null)?.result;
      this.state.textContent = `Run ${this.fireId ?? ''} ended${typeof result === 'string' ? `: ${result}` : ''}.`;
    }
  }
}
