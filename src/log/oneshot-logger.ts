// runed.log lines for a one-shot command (add, update, del, clear): the same JSON lines pino
// writes for the daemon ({"level","time","pid",...fields,"msg"}), buffered and appended by
// flush() before the command exits. Not pino itself: loading it cost 10 ms of a 100 ms `add`
// (bench/RESULTS.md). Silent when the file is switched off (`*_open = 0`); a file that cannot
// be written is a warning, not a failure (the change is stored already). As the daemon's: new
// files get log.file_mode, URL credentials are masked. With log.dir = - (the daemon's logs on
// stdout, for journald) a command writes none: its stdout is its output, which scripts read.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogFileConfig } from '../config/config.js';
import { maskUrlUserinfo } from './mask-userinfo.js';
import type { LineLogger } from './task-change-log.js';

export interface OneshotLog {
  logger: LineLogger;
  flush(): void;
}

/** pino's numeric levels, so both writers' lines read the same. */
const LEVELS = { info: 30, warn: 40 } as const;
/** Written out whenever this much is buffered: `add --file` logs one line per task. */
const FLUSH_AT = 64 * 1024;

export function oneshotLogger(file: LogFileConfig): OneshotLog {
  if (!file.open || file.path === '-') return { logger: { info: () => {}, warn: () => {} }, flush: () => {} };
  let buffered: string[] = [];
  let size = 0;
  let failed = false;
  const flush = (): void => {
    if (buffered.length === 0 || failed) return;
    const text = buffered.join('');
    buffered = [];
    size = 0;
    try {
      mkdirSync(dirname(file.path), { recursive: true });
      appendFileSync(file.path, text, { mode: file.mode });
    } catch (err) {
      failed = true;
      process.stderr.write(`ktimer: warning: cannot write ${file.path}: ${(err as Error).message}\n`);
    }
  };
  const write = (level: keyof typeof LEVELS, fields: object, msg: string): void => {
    const json = JSON.stringify({ level: LEVELS[level], time: Date.now(), pid: process.pid, ...fields, msg });
    const line = `${maskUrlUserinfo(json)}\n`;
    buffered.push(line);
    size += line.length;
    if (size >= FLUSH_AT) flush();
  };
  return {
    logger: {
      info: (fields, msg) => write('info', fields, msg),
      warn: (fields, msg) => write('warn', fields, msg),
    },
    flush,
  };
}
