// ktimer export [-group=G] [--format yaml|json]: a group's tasks as an apply file on stdout
// (issue 25, docs/apply.md); what a file cannot hold is named on stderr.
import type { CliContext } from '../context.js';

export async function run(
  ctx: CliContext,
  _words: string[],
  opts: { group?: string; format?: string },
): Promise<void> {
  const exported = await (await ctx.service()).export(opts.group, opts.format);
  for (const s of exported.skipped)
    process.stderr.write(`ktimer: warning: not exported: task ${s.name ?? s.kid}: ${s.reason}\n`);
  if (ctx.json) ctx.print('', { result: true, ...exported });
  else process.stdout.write(exported.text);
}
