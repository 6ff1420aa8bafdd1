// A pino logger for a one-shot command: buffered appends to one log file, written out by
// flush() before the command exits; silent when the file is switched off (`*_open = 0`) or
// cannot be opened (the command still succeeds).
import { type Logger, pino } from 'pino';
import type { LogFileConfig } from '../config/config.js';

export interface OneshotLog {
  logger: Logger;
  flush(): void;
}

export function oneshotLogger(file: LogFileConfig): OneshotLog {
  const silent = { logger: pino({ enabled: false }), flush: () => {} };
  if (!file.open) return silent;
  try {
    // Buffered: `add --file` logs one line per task, and a write per line would cost more than
    // storing the tasks.
    const dest = pino.destination({
      dest: file.path,
      sync: true,
      minLength: 8192,
      mkdir: true,
      append: true,
    });
    return { logger: pino({ base: { pid: process.pid } }, dest), flush: () => dest.flushSync() };
  } catch (err) {
    process.stderr.write(`ktimer: warning: cannot write ${file.path}: ${(err as Error).message}\n`);
    return silent;
  }
}
