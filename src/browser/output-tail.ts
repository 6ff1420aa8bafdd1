// The live output of a run under way, on its task's page: lines appear as the command prints them.
// It polls the web API's action `output_live` (fire_id, after = the `next` of the page before):
// each page holds the chunks printed since ({stream, text, dropped_bytes}) and the run's state
// (waiting, running, ended, with its record once ended).
import { ApiError, call } from './api.js';
import { h } from './dom.js';
import type { LiveOutputPage } from './types.js';

/** Characters of output the tail keeps: the latest. */
const KEEP_CHARS = 65_536;
/**
 * How often the tail asks for what was printed since, in a background tab too (unlike the views'
 * reads, in-view.ts): the daemon publishes a run's output only while someone follows it, so a
 * pause would lose what was printed meanwhile; and the run ends.
 */
const POLL_MS = 1000;
const AFTER_THE_RUN = 'the output is in the history once the run ends.';

export class OutputTail {
  // A log, but not read aloud line by line (aria-live off): the state line above says what happens.
  readonly pre = h('pre', { class: 'tail', role: 'log', 'aria-live': 'off', 'aria-label': 'Live output' });
  readonly state = h('p', { class: 'muted' });
  readonly element = h('div', { class: 'output-tail' }, this.state, this.pre);
  private timer: number | undefined;
  private fireId: string | null = null;
  /** Bumped at each follow and stop: a page that comes back for an earlier one is dropped. */
  private generation = 0;

  /** Follows `fireId` (the same one again changes nothing). */
  follow(fireId: string): void {
    if (this.fireId === fireId) return;
    this.stop();
    this.fireId = fireId;
    this.pre.textContent = '';
    this.state.textContent = `Live output of run ${fireId}: connecting...`;
    void this.poll(fireId, '', this.generation);
  }

  stop(): void {
    window.clearTimeout(this.timer);
    this.generation++;
    this.fireId = null;
  }

  private async poll(fireId: string, after: string, generation: number): Promise<void> {
    let page: LiveOutputPage;
    try {
      page = (await call<LiveOutputPage>('output_live', { fire_id: fireId, after })).data;
    } catch (err) {
      if (generation !== this.generation) return;
      this.state.textContent =
        err instanceof ApiError && err.code === 404
          ? `Run ${fireId} is no longer under way; ${AFTER_THE_RUN}`
          : `The live output was cut off (${err instanceof Error ? err.message : String(err)}); ${AFTER_THE_RUN}`;
      return;
    }
    if (generation !== this.generation) return;
    this.show(page);
    if (page.state !== 'ended')
      this.timer = window.setTimeout(() => void this.poll(fireId, page.next, generation), POLL_MS);
  }

  private show(page: LiveOutputPage): void {
    const added = page.chunks
      .map((c) => (c.dropped_bytes > 0 ? `[${c.dropped_bytes} bytes not shown]\n` : '') + c.text)
      .join('');
    if (added !== '') {
      const text = this.pre.textContent + added;
      this.pre.textContent = text.length > KEEP_CHARS ? text.slice(-KEEP_CHARS) : text;
    }
    this.state.textContent =
      page.state === 'ended'
        ? `Run ${page.fire_id} ended${page.record ? `: ${page.record.result}` : ''}.`
        : page.state === 'waiting'
          ? `Run ${page.fire_id} is handed out and about to begin...`
          : `Live output of run ${page.fire_id}, as it is printed:`;
  }
}
