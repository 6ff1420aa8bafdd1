// `ktimer start -d`: the command (stage 1) starts a helper (stage 2) that detaches the daemon
// with daemonize-process (stage 3: own session, no terminal). The daemon reports on an
// inherited pipe (fd 3) once it is up, or why it failed, so that `start -d` returns only then.
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { daemonizeProcess } from 'daemonize-process';
import { errorCodeFrom, KtimerError } from '../errors.js';

export const STAGE_ENV = 'KTIMER_DETACH_STAGE';
/** The pipe a detached daemon reports its start-up on (closed once it has). */
export const READY_FD = 3;
const START_TIMEOUT_MS = 30_000;

/** daemonize-process marks the process it starts with this variable, and skips detaching when set. */
const DAEMONIZE_ENV = '_DAEMONIZE_PROCESS';

export type DetachStage = 'helper' | 'daemon' | undefined;

/**
 * Which stage this process is, read once: the variables are taken out of the environment, so
 * that no task (nor the spawners that start them) inherits them. A task running `ktimer start
 * -d` would otherwise start a daemon in the foreground of its own process, never detached.
 */
export function takeDetachStage(): DetachStage {
  const stage = process.env[STAGE_ENV];
  Reflect.deleteProperty(process.env, STAGE_ENV);
  Reflect.deleteProperty(process.env, DAEMONIZE_ENV);
  return stage === 'helper' || stage === 'daemon' ? stage : undefined;
}

export interface DetachedStart {
  pid: number;
  warnings: string[];
}

/** Stage 1: runs the helper and waits for the daemon's report. */
export function startDetached(bin: string, args: readonly string[]): Promise<DetachedStart> {
  return new Promise((resolve, reject) => {
    const helper = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, [STAGE_ENV]: 'helper' },
      stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
    });
    let report = '';
    const pipe = helper.stdio[READY_FD] as Readable | null;
    if (!pipe) {
      reject(new KtimerError('daemon', 'cannot open the start-up pipe to the daemon'));
      return;
    }
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      report += chunk;
    });
    const timer = setTimeout(() => {
      pipe.destroy();
      reject(
        new KtimerError(
          'daemon',
          `the daemon did not report within ${START_TIMEOUT_MS / 1000} s; see serve.log and error.log`,
        ),
      );
    }, START_TIMEOUT_MS);
    helper.on('error', (err) => reject(new KtimerError('daemon', `cannot start the daemon: ${err.message}`)));
    // The pipe ends when the daemon has reported and closed it, or died.
    pipe.on('end', () => {
      clearTimeout(timer);
      const lines = report.split('\n').filter((l) => l !== '');
      const error = lines.find((l) => l.startsWith('error '));
      const ok = lines.find((l) => l.startsWith('ok '));
      if (error) {
        // "error CODE message"
        const [, code = '', message = ''] = /^error (\S+) (.*)$/.exec(error) ?? [];
        reject(new KtimerError(errorCodeFrom(code) ?? 'daemon', message || error.slice(6)));
      } else if (ok)
        resolve({
          pid: Number(ok.slice(3)),
          warnings: lines.filter((l) => l.startsWith('warn ')).map((l) => l.slice(5)),
        });
      else
        reject(
          new KtimerError(
            'daemon',
            'the daemon exited during start-up; see serve.log and error.log in the log dir',
          ),
        );
    });
  });
}

/** Stage 2: detaches the daemon, handing it our fd 3, and exits. */
export function detachDaemon(bin: string, args: readonly string[]): void {
  // Set in our own environment, not through the `env` option: daemonize-process would then
  // hand the daemon that one variable as its whole environment (no PATH, no HOME, ...).
  process.env[STAGE_ENV] = 'daemon';
  daemonizeProcess({
    script: bin,
    arguments: [...args],
    cwd: '/',
    stdio: ['ignore', 'ignore', 'ignore', READY_FD],
  });
}

/** Stage 3: the daemon tells stage 1 how start-up went, then lets go of the pipe. */
export function reportStartup(lines: string[]): void {
  try {
    writeSync(READY_FD, `${lines.join('\n')}\n`);
    closeSync(READY_FD);
  } catch {
    // stage 1 gave up waiting; nothing to tell
  }
}
