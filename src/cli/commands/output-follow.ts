// ktimer output FIRE_ID --follow: a run's output as it is printed, from any machine, until the run
// ends; exit 0 if it succeeded, 1 if not, as run --wait (through its retries). Its stdout goes to
// stdout and its stderr to stderr, escaped unless --raw. Pages of the live tail are read every
// POLL_MS (service/live-output.ts); a run that ended before its daemon saw anyone follow it is
// printed from its record.
import { nextAttemptId, type RunRecord } from '../../store/open-store.js';
import { printable } from '../../text.js';
import type { LiveOutputPage } from '../../service/live-output.js';
import type { CliContext } from '../context.js';
import { outcomeInWords } from '../run-words.js';
import type { OutputOptions } from './output.js';

const POLL_MS = 200;
/** A run that printed live and whose end was not published yet: at most this long for it, ms. */
const END_WAIT_MS = 2000;
/** A run not begun after this long: is a daemon running? */
const SLOW_MS = 10_000;

type Stream = 'stdout' | 'stderr';

export async function follow(ctx: CliContext, fireIdInput: string, opts: OutputOptions): Promise<void> {
  const history = await ctx.history();
  let fireId = fireIdInput;
  for (;;) {
    const record = await followOne(ctx, fireId, opts, (after) => history.liveOutput(fireId, after));
    fireId = record.fire_id;
    if (record.retry_at === undefined) {
      finish(ctx, record);
      return;
    }
    fireId = nextAttemptId(record);
    process.stderr.write(
      `ktimer: run ${record.fire_id}: ${outcomeInWords(record)}; its retry ${fireId} is due at ${new Date(record.retry_at * 1000).toISOString()}: following it\n`,
    );
  }
}

/** Prints one attempt's output until it is on record; resolves with its record. */
async function followOne(
  ctx: CliContext,
  fireId: string,
  opts: OutputOptions,
  page: (after: string) => Promise<LiveOutputPage>,
): Promise<RunRecord> {
  const started = Date.now();
  let after = '';
  let printedLive = false;
  let endedAt: number | null = null;
  let slowTold = false;
  for (;;) {
    const p = await page(after);
    after = p.next;
    for (const c of p.chunks) {
      printedLive = true;
      if (!ctx.json) write(c.stream, c.dropped_bytes > 0 ? notShown(c.dropped_bytes) : '', opts);
      if (!ctx.json) write(c.stream, c.text, opts);
    }
    if (p.state === 'ended' && p.record) {
      endedAt ??= Date.now();
      // Printed live: its last batches and its end are on their way, unless its daemon died.
      const complete = !printedLive || p.live_ended || Date.now() - endedAt > END_WAIT_MS;
      if (complete) {
        if (!printedLive && !ctx.json) writeRecord(p.record, opts);
        return p.record;
      }
    }
    if (p.state === 'waiting' && !slowTold && Date.now() - started > SLOW_MS) {
      slowTold = true;
      process.stderr.write(
        `ktimer: run ${fireId} has not started after 10 s; is a daemon running (\`ktimer status\`)? still waiting\n`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A run that ended before its daemon saw anyone follow it: its output as it was kept. */
function writeRecord(record: RunRecord, opts: OutputOptions): void {
  if (record.output_dropped === true) return;
  if (record.stdout === undefined && record.stderr === undefined) {
    write('stdout', record.output ?? '', opts);
    return;
  }
  write('stdout', record.stdout ?? '', opts);
  write('stderr', record.stderr ?? '', opts);
}

const notShown = (bytes: number): string => `[ktimer: ${bytes} bytes not shown]\n`;

/** One stream's text, to the same stream here, unless --stdout or --stderr leaves it out. */
function write(stream: Stream, text: string, opts: OutputOptions): void {
  if (text === '') return;
  const only = opts.stdout === opts.stderr ? null : opts.stdout === true ? 'stdout' : 'stderr';
  if (only !== null && only !== stream) return;
  // --stdout or --stderr: the one asked for goes to stdout, for a pipe.
  const to = only !== null || stream === 'stdout' ? process.stdout : process.stderr;
  to.write(opts.raw === true ? text : printable(text));
}

function finish(ctx: CliContext, record: RunRecord): void {
  if (!record.ok) ctx.exitCode = 1;
  const words = `run ${record.fire_id}: ${outcomeInWords(record)}${record.error ? ` (${record.error})` : ''}`;
  if (ctx.json) ctx.print(words, record);
  else process.stderr.write(`ktimer: ${words}\n`);
}
