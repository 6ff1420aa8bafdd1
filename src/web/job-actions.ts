// The API's jobs as code (issue 25 item 8): apply an apply file (the POST body, or its `file`
// parameter), with dry_run=1 and prune=1; export a group's file (group, format).
import { usageError } from '../errors.js';
import { planData, planLines, planSummary } from '../jobs/plan-text.js';
import type { Action } from './actions.js';
import { flagParam } from './request.js';

export const JOB_ACTIONS: Record<'apply' | 'export', Action> = {
  apply: async (p, { service }) => {
    const text = p.get('file');
    if (text === undefined || text.trim() === '')
      throw usageError(
        'file is missing; POST the apply file as the body (action and passwd in the query), or as file',
      );
    const dryRun = flagParam(p, 'dry_run');
    const { plan, applied } = await service.jobs.apply(text, 'file', {
      dryRun,
      prune: flagParam(p, 'prune'),
    });
    return {
      data: { applied, dry_run: dryRun, ...planData(plan) },
      msg: planSummary(plan),
      extra: { lines: planLines(plan, { dryRun }) },
    };
  },
  export: async (p, { service }) => {
    const { text, skipped, group, count } = await service.export(p.get('group'), p.get('format'));
    return { data: text, msg: `${count} tasks of group ${group}`, extra: { group, skipped } };
  },
};
