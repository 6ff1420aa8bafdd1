// [notify] on_failure_command and on_recovery_command: a local command (bash -c) run with the
// alert as JSON on its stdin and as KTIMER_* variables, so `mail -s "$KTIMER_SUBJECT" ops@...`
// works as cron's MAILTO did. It runs in the daemon's environment less ktimer's own variables,
// in the directory of conf.ini, for at most [notify] timeout; it is run once (a mail half sent is
// not sent again), and whatever it says on stderr names its failure in error.log.
import { spawn } from 'node:child_process';
import { type AlertBody, alertVariables } from './alert-body.js';

/** Bytes of a failing command's stderr kept for error.log. */
const STDERR_KEPT = 500;
/** How long stderr may trail the exit of bash (as runner/run-shell.ts's OUTPUT_GRACE_MS). */
const STDERR_GRACE_MS = 200;

export interface CommandTarget {
  command: string;
  /** Where it runs: the directory of conf.ini. */
  cwd: string;
  timeoutMs: number;
}

/** Runs the command with the alert; resolves with '' when it exited 0, else why not. */
export function runNotifyCommand(target: CommandTarget, body: AlertBody): Promise<string> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env))
      if (!name.startsWith('KTIMER_')) env[name] = value;
    Object.assign(env, alertVariables(body));
    const child = spawn('/bin/bash', ['-c', target.command], {
      cwd: target.cwd,
      env,
      stdio: ['pipe', 'ignore', 'pipe'],
      // Its own process group: a timeout kills what it started too.
      detached: true,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < STDERR_KEPT) stderr += d;
    });
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }, target.timeoutMs);
    let settled = false;
    const finish = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stderr.destroy();
      resolve(why);
    };
    child.on('error', (err) => finish(`cannot start /bin/bash: ${err.message}`));
    child.on('exit', (code, signal) => {
      const said = () => stderr.trim().slice(0, STDERR_KEPT);
      const end = () => {
        if (code === 0) finish('');
        else if (signal === 'SIGKILL') finish(`no end within ${target.timeoutMs / 1000} s: killed`);
        else finish(`${signal ? `killed by ${signal}` : `exit ${code}`}${said() ? `: ${said()}` : ''}`);
      };
      // As runner/run-shell.ts: what is left in the pipe comes before 'close', but a process it
      // started in a session of its own (setsid) may hold the pipe open for good: a short grace.
      child.once('close', end);
      setTimeout(end, STDERR_GRACE_MS).unref();
    });
    // A command that does not read its stdin: nothing to worry about.
    child.stdin.on('error', () => {});
    child.stdin.end(`${JSON.stringify(body)}\n`);
  });
}
