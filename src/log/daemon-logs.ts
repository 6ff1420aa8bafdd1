// The daemon's logs (docs/logs-and-history.md): pino JSON lines in serve/error/runed/webac files, each
// switched by its *_open key. Files rotate by size (rotating-file-stream, classic NAME.1 ..
// NAME.<maxbackup>) while the live file keeps its plain name; reopen() (SIGHUP) starts new
// streams so an external logrotate that moved the files is followed. New files get
// log.file_mode, and URL credentials are masked in every line. The main thread holds serve,
// error and runed (openDaemonLogs); webac.log belongs to the web API's thread, which opens it
// with openLogFile: one writer per file. With log.dir = - every line goes to stdout instead
// (for journald), with a `log` field naming its file; the main thread alone writes stdout, the
// web API's thread hands it its lines.
import { basename, dirname } from 'node:path';
import { type DestinationStream, type Logger, pino } from 'pino';
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
  /** log.dir = -: writes finished lines (the web API thread's) to stdout; absent otherwise. */
  stdout?: LineSink;
}

/** Where finished log lines go when they are not written to a file of their own. */
export type LineSink = (text: string) => void;

/** The lines of one turn of the event loop, handed on as one chunk (one write, one message). */
class BatchedLines {
  private pending: string[] = [];

  constructor(private readonly sink: LineSink) {}

  write(line: string): boolean {
    if (this.pending.push(line) === 1) setImmediate(this.flush);
    return true;
  }

  readonly flush = (): void => {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.sink(chunk);
  };
}

/**
 * The daemon's stdout, written without blocking the loop (a stalled journald must not stall
 * firing): sonic-boom writes from Node's thread pool.
 */
function stdoutWriter(): { write: LineSink; flush(): void } {
  const dest = pino.destination({ dest: 1, sync: false });
  dest.on('error', () => {
    // stdout closed (the supervisor went away): there is nowhere to say it
  });
  return {
    write: (text) => void dest.write(text),
    flush: () => {
      try {
        dest.flushSync();
      } catch {
        // nothing written yet, or stdout gone
      }
    },
  };
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

/**
 * One log's logger. With log.dir = - its lines go to `toStdout` (the main thread's stdout, or a
 * message to it from the web API's thread), each with `log` naming the file.
 */
export function openLogFile(file: LogFileConfig, config: Config, toStdout?: LineSink): LogFile {
  if (!file.open) return { logger: pino({ enabled: false }), reopen: () => {}, close: async () => {} };
  if (config.log.stdout) {
    const lines = new BatchedLines(toStdout ?? ((text) => void process.stdout.write(text)));
    const target: DestinationStream = lines;
    return {
      logger: pino(
        { base: { pid: process.pid, log: file.name }, hooks: { streamWrite: maskUrlUserinfo } },
        target,
      ),
      reopen: () => {},
      close: async () => lines.flush(),
    };
  }
  const target = new ReopenableFile(file, config);
  return {
    logger: pino({ base: { pid: process.pid }, hooks: { streamWrite: maskUrlUserinfo } }, target),
    reopen: () => target.reopen(),
    close: () => target.close(),
  };
}

/** The main thread's logs: serve, error and runed. */
export function openDaemonLogs(config: Config): DaemonLogs {
  const stdout = config.log.stdout ? stdoutWriter() : undefined;
  const serve = openLogFile(config.log.serve, config, stdout?.write);
  const error = openLogFile(config.log.error, config, stdout?.write);
  const runed = openLogFile(config.log.runed, config, stdout?.write);
  const files = [serve, error, runed];
  return {
    stdout: stdout?.write,
    serve: serve.logger,
    error: error.logger,
    runed: runed.logger,
    reopen: () => {
      for (const f of files) f.reopen();
    },
    close: async () => {
      await Promise.all(files.map((f) => f.close()));
      stdout?.flush();
    },
  };
}
