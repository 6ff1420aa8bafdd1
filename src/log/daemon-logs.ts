// The daemon's logs (README "Logs"): pino JSON lines in serve/error/runed/webac files, each
// switched by its *_open key. Files rotate by size (rotating-file-stream, classic NAME.1 ..
// NAME.<maxbackup>) while the live file keeps its plain name; reopen() (SIGHUP) starts new
// streams so an external logrotate that moved the files is followed. New files get
// log.file_mode, and URL credentials are masked in every line. The main thread holds serve,
// error and runed (openDaemonLogs); webac.log belongs to the web API's thread, which opens it
// with openLogFile: one writer per file.
import { basename, dirname } from 'node:path';
import { type Logger, pino } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { Config, LogFileConfig } from '../config/config.js';
import { maskUrlUserinfo } from './mask-userinfo.js';

export interface DaemonLogs {
  serve: Logger;
  error: Logger;
  runed: Logger;
  /** Closes and reopens every file. */
  reopen(): void;
  /** Flushes and closes every file. */
  close(): Promise<void>;
}

/**
 * A write target that can be switched to a fresh stream without pino noticing. Lines logged in
 * one turn of the event loop go to the file as one write: the stream makes a file write (a
 * thread-pool round trip) per chunk, and a burst logs thousands of lines a second.
 */
class ReopenableFile {
  private stream: RotatingFileStream;
  private pending: string[] = [];

  constructor(
    private readonly file: LogFileConfig,
    private readonly config: Config,
  ) {
    this.stream = this.open();
  }

  write(line: string): boolean {
    if (this.pending.push(line) === 1) setImmediate(this.flush);
    return true;
  }

  reopen(): void {
    this.flush();
    const old = this.stream;
    this.stream = this.open();
    old.end();
  }

  close(): Promise<void> {
    this.flush();
    return new Promise((resolve) => {
      this.stream.once('finish', () => resolve());
      this.stream.once('error', () => resolve());
      this.stream.end();
    });
  }

  private readonly flush = (): void => {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.stream.write(chunk);
  };

  private open(): RotatingFileStream {
    const stream = createStream(basename(this.file.path), {
      path: dirname(this.file.path),
      size: `${Math.max(1, Math.ceil(this.config.log.maxSizeBytes / 1024))}K`,
      rotate: this.config.log.maxBackup,
      mode: this.file.mode,
    });
    // A full disk or a removed directory must not kill the daemon; say it once on stderr.
    stream.on('error', (err) =>
      process.stderr.write(`ktimer: cannot write ${this.file.path}: ${err.message}\n`),
    );
    return stream;
  }
}

/** One log file's logger; switched off (*_open = 0), a logger that writes nothing. */
export interface LogFile {
  readonly logger: Logger;
  /** Closes and reopens the file (SIGHUP). */
  reopen(): void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export function openLogFile(file: LogFileConfig, config: Config): LogFile {
  if (!file.open) return { logger: pino({ enabled: false }), reopen: () => {}, close: async () => {} };
  const target = new ReopenableFile(file, config);
  return {
    logger: pino({ base: { pid: process.pid }, hooks: { streamWrite: maskUrlUserinfo } }, target),
    reopen: () => target.reopen(),
    close: () => target.close(),
  };
}

/** The main thread's logs: serve, error and runed. */
export function openDaemonLogs(config: Config): DaemonLogs {
  const serve = openLogFile(config.log.serve, config);
  const error = openLogFile(config.log.error, config);
  const runed = openLogFile(config.log.runed, config);
  const files = [serve, error, runed];
  return {
    serve: serve.logger,
    error: error.logger,
    runed: runed.logger,
    reopen: () => {
      for (const f of files) f.reopen();
    },
    close: async () => {
      await Promise.all(files.map((f) => f.close()));
    },
  };
}
