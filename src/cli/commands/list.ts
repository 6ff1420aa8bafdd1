// ktimer list [-starttime=T -endtime=T -offset=N|-cursor=C -count=N]: tasks by next run, one page,
// and the cursor of the next.
import type { ListQuery } from '../../service/task-service.js';
import type { CliContext } from '../context.js';
import { withSchedule } from '../../service/task-service.js';
import { taskTable } from '../format.js';

/** list's options: the web API's search is not one of them. */
type ListOptions = Omit<ListQuery, 'search'>;

export async function run(ctx: CliContext, _words: string[], opts: ListOptions): Promise<void> {
  const page = await (await ctx.service()).list(opts);
  for (const kid of page.corrupt) {
    process.stderr.write(
      `ktimer: warning: task ${kid} holds corrupt data in Redis; delete it with \`ktimer del ${kid}\`\n`,
    );
  }
  const rows = page.tasks.length + page.corrupt.length;
  const first = rows === 0 ? 0 : page.offset + 1;
  const last = page.offset + rows;
  let footer: string;
  if (page.total === 0) footer = 'no tasks in this window.';
  else if (opts.group !== undefined && opts.group !== '') {
    const next = page.next ? ` (next page: -cursor=${page.next})` : '';
    const n = page.tasks.length;
    footer = `${n === 0 ? 'no' : n} task${n === 1 ? '' : 's'} of group ${opts.group}${next}; the window holds ${page.total}.`;
  } else if (rows === 0) footer = `no tasks at offset ${page.offset}: the window holds ${page.total}.`;
  else
    footer = `tasks ${first}-${last} of ${page.total}${page.next ? ` (next page: -cursor=${page.next})` : ''}.`;
  const human = page.tasks.length === 0 ? footer : `${taskTable(page.tasks, Date.now())}\n${footer}`;
  ctx.print(human, { ...page, tasks: page.tasks.map(withSchedule) });
}
