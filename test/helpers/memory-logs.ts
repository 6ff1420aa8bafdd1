// The daemon's main-thread loggers (serve, error, runed) writing into arrays instead of files,
// so a test reads what the daemon's parts logged (real pino, same fields as the files).
import { pino } from 'pino';
import type { DaemonLogs } from '../../src/log/daemon-logs.js';

export type LogEntry = Record<string, unknown> & { event?: string; msg?: string; level: number };

export interface MemoryLogs extends DaemonLogs {
  entries: Record<'serve' | 'error' | 'runed', LogEntry[]>;
  /** Entries of one file with this event. */
  events(file: 'serve' | 'error' | 'runed', event: string): LogEntry[];
}

export function memoryLogs(): MemoryLogs {
  const entries: MemoryLogs['entries'] = { serve: [], error: [], runed: [] };
  const logger = (into: LogEntry[]) =>
    pino({ level: 'debug' }, { write: (line: string) => into.push(JSON.parse(line) as LogEntry) });
  return {
    entries,
    serve: logger(entries.serve),
    error: logger(entries.error),
    runed: logger(entries.runed),
    reopen: () => {},
    close: async () => {},
    events: (file, event) => entries[file].filter((e) => e.event === event),
  };
}
