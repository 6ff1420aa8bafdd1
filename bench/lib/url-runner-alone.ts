// The ceiling of a URL burst for any design whose HTTP client is ktimer's: the daemon's own URL
// runner (src/runner/run-url.ts: its agent, its request, its timeout) calling the sink as fast as
// it can with as many in flight as the daemon allows (task_url_concurrency), in a process of its
// own as the daemon is, with nothing else to do: no Redis, no claim, no record, no log.
// Run by bench/burst.ts: node --import tsx bench/lib/url-runner-alone.ts URL COUNT IN_FLIGHT
import { runUrl } from '../../src/runner/run-url.js';
import { kidOf } from './setup.js';

const [url = '', count = '0', inFlight = '1000'] = process.argv.slice(2);
const total = Number(count);
let next = 0;
const worker = async (): Promise<void> => {
  while (next < total) {
    const kid = kidOf(next++, 'c');
    await runUrl({ kid, command: url, dueMs: Date.now(), timeoutMs: 30_000 }).result;
  }
};
await Promise.all(Array.from({ length: Number(inFlight) }, worker));
