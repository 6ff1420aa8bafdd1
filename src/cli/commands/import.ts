// ktimer import crontab [FILE|-] [-group=G] [--system] [--format yaml|json]: an apply file made
// from crontab(5) lines on stdout, and on stderr every line not carried over as it was (issue 25,
// docs/from-cron.md). Without FILE, the crontab of the user running it (`crontab -l`).
import { execFileSync } from 'node:child_process';
import { KtimerError, usageError } from '../../errors.js';
import { crontabFileText, crontabReportLines, importCrontab } from '../../jobs/crontab-import.js';
import { exportInput } from '../../service/export-jobs.js';
import { readBulkFile } from '../bulk-input.js';
import type { CliContext } from '../context.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { group?: string; system?: boolean; format?: string },
): Promise<void> {
  const [what, file] = words;
  if (what !== 'crontab') throw usageError(`ktimer import reads a crontab: ktimer import crontab [FILE|-]`);
  const { format } = exportInput(undefined, opts.format);
  const source = file === undefined ? 'crontab -l' : file === '-' ? 'stdin' : file;
  const text = file === undefined ? ownCrontab() : readBulkFile(file);
  const result = importCrontab(text, {
    group: opts.group ?? 'crontab',
    system: opts.system === true,
    ...(file === undefined || file === '-' ? {} : { source: file }),
  });
  const reports = crontabReportLines(result, source);
  for (const line of reports) process.stderr.write(`${line}\n`);
  const fileText = crontabFileText(result, format, source);
  if (ctx.json)
    ctx.print('', { result: true, tasks: result.declaration.jobs.length, reports, file: fileText });
  else process.stdout.write(fileText.endsWith('\n') ? fileText : `${fileText}\n`);
  await Promise.resolve();
}

/** The crontab of the user running the command, as `crontab -l` prints it. */
function ownCrontab(): string {
  try {
    return execFileSync('crontab', ['-l'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw usageError('there is no crontab command here; give the crontab as FILE, or - for stdin');
    const why = (e.stderr ?? '').trim().split('\n')[0] || 'crontab -l failed';
    throw new KtimerError('not_found', `${why}; give a crontab as FILE, or - for stdin`);
  }
}
