// The daemon's four logs (README "Logs"): pino JSON lines in serve/error/runed/webac files, each
// switched by its *_open key. Files rotate by size (rotating-file-stream, classic NAME.1 ..
// NAME.<maxbackup>) while the live file keeps its plain name; reopen() (SIGHUP) starts new
// streams so an external logrotate that moved the files is followed. New files get
// log.file_mode, and URL credentials are masked in every line.
import { basename, dirname } from 'node:path';
import { type Logger, pino } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { Config, LogFileConfig } from '../config/config.js';
import { maskUrlUserinfo } from './mask-userinfo.js';

export interface DaemonLogs {
  serve: Logger;
  error: Logger;
  runed: Logger;
  webac: Logger;
  /** Closes and reopens every file. */
  reopen(): void;
  /** Flushes and closes every file. */
  close(): Promise<void>;
}

/** A write target that can be switched to a fresh stream without pino noticing. */
class ReopenableFile {
  private stream: RotatingFileStream;

  constructor(
    private readonly file: LogFileConfig,
    private readonly config: Config,
  ) {
    this.stream = this.open();
  }

  write(line: string): boolean {
    return this.stream.write(line);
  }

  reopen(): void {
    const old = this.stream;
    this.stream = this.open();
    old.end();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.stream.once('finish', () => resolve());
      this.stream.once('error', () => resolve());
      this.stream.end();
    });
  }

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

export function openDaemonLogs(config: Config): DaemonLogs {
  const files: ReopenableFile[] = [];
  const logger = (file: LogFileConfig): Logger => {
    if (!file.open) return pino({ enabled: false });
    const target = new ReopenableFile(file, config);
    files.push(target);
    return pino({ base: { pid: process.pid }, hooks: { streamWrite: maskUrlUserinfo } }, target);
  };
  return {
    serve: logger(config.log.serve),
    error: logger(config.log.error),
    runed: logger(config.log.runed),
    webac: logger(config.log.webac),
    reopen: () => {
      for (const f of files) f.reopen();
    },
    close: async () => {
      await Promise.all(files.map((f) => f.close()));
    },
  };
}
