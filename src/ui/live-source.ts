// The live feed of runs (server-sent events from /ui/live), for the Live page and a task's page.
import type { RunSummary } from './types.js';

export function watchRuns(
  onRun: (run: RunSummary) => void,
  onState: (connected: boolean) => void = () => {},
): () => void {
  const source = new EventSource('/ui/live');
  source.addEventListener('open', () => onState(true));
  source.addEventListener('error', () => onState(false));
  source.addEventListener('run', (event) => {
    try {
      onRun(JSON.parse((event as MessageEvent<string>).data) as RunSummary);
    } catch {
      // not a run: ignored
    }
  });
  return () => source.close();
}
