// A pino logger for a one-shot command: synchronous appends to one log file, or silent when
// the file is switched off (`*_open = 0`) or cannot be opened (the command still succeeds).
import { type Logger, pino } from 'pino';
import type { LogFileConfig } from '../config/config.js';

export function oneshotLogger(file: LogFileConfig): Logger {
  if (!file.open) return pino({ enabled: false });
  try {
    return pino(pino.destination({ dest: file.path, sync: true, mkdir: true, append: true }));
  } catch (err) {
    process.stderr.write(`ktimer: warning: cannot write ${file.path}: ${(err as Error).message}\n`);
    return pino({ enabled: false });
  }
}
