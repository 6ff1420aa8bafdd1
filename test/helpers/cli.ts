// Runs the real bin/ktimer as a user would, and writes conf.ini files for tests.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'ktimer');

/** Puts a `ktimer` on the PATH of `dir`, as after an install: it runs this checkout's bin/ktimer. */
export function ktimerOnPath(dir: string): void {
  writeFileSync(join(dir, 'ktimer'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(dir, 'ktimer'), 0o755);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...process.env, KTIMER_CONFIG: undefined, KTIMER_DEBUG: undefined, ...options.env };
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface TestConfigOptions {
  redisPort: number;
  /** Key prefix, so that tests sharing one Redis do not see each other's tasks. */
  prefix?: string;
  /** Extra lines per section, e.g. { default: ['task_max_num = 3'] }. */
  extra?: Partial<Record<'default' | 'web' | 'redis' | 'log' | 'task' | 'notify' | 'daemon', string[]>>;
  dir?: string;
}

const randomPrefix = () => `kt${Math.random().toString(36).slice(2, 8)}`;

/** The task keys a test config names under `prefix`: the pool hash and the schedule sorted set. */
export function taskKeys(prefix: string): { pool: string; schedule: string } {
  return { pool: `${prefix}:tasks:all`, schedule: `${prefix}:tasks:second` };
}

/** Writes a conf.ini in a fresh temp dir (pidfile and logs inside it); returns its path. */
export function writeTestConfig(options: TestConfigOptions): string {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ktimer-test-'));
  const prefix = options.prefix ?? randomPrefix();
  const keys = taskKeys(prefix);
  const extra = options.extra ?? {};
  const lines = (section: keyof NonNullable<TestConfigOptions['extra']>) => (extra[section] ?? []).join('\n');
  // A default line is left out when `extra` sets the same key.
  const keyOf = (line: string) => line.split('=')[0]?.trim();
  const dflt = (section: keyof NonNullable<TestConfigOptions['extra']>, line: string) =>
    (extra[section] ?? []).some((l) => keyOf(l) === keyOf(line)) ? '' : line;
  const text = `[default]
pidfile = runtime/ktimer.pid
task_pool_key = ${keys.pool}
task_trun_key = ${keys.schedule}
task_lcok_key = ${prefix}:tasks:lock
${lines('default')}
[web]
${dflt('web', 'web_enable = 0')}
${dflt('web', 'web_passwd = test-password')}
${lines('web')}
[redis]
redis.host = 127.0.0.1
redis.port = ${options.redisPort}
${dflt('redis', 'redis.connect_timeout = 2')}
${lines('redis')}
[log]
${dflt('log', 'log.dir = log')}
${lines('log')}
[task]
${dflt('task', 'default_timer = echo -e Hello Ktimer')}
${dflt('task', 'default_ticker = date --rfc-3339=ns')}
${lines('task')}
${extra.notify ? `[notify]\n${lines('notify')}\n` : ''}${extra.daemon ? `[daemon]\n${lines('daemon')}\n` : ''}`;
  const file = join(dir, 'conf.ini');
  // 0600, as `ktimer init` writes it: it holds a password (`start` warns otherwise).
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/**
 * A conf.ini under a fresh random key prefix, so that the tests of a file, sharing one Redis,
 * never see each other's tasks: the prefix, the config's path, and the task keys under it.
 */
export function prefixedConfig(redisPort: number, extra?: TestConfigOptions['extra']) {
  const prefix = randomPrefix();
  return { prefix, config: writeTestConfig({ redisPort, prefix, extra }), ...taskKeys(prefix) };
}

/** The JSON lines of a log file (empty when it does not exist yet). */
export function readLogLines(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
