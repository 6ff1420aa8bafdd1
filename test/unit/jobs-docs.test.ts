// The examples of docs/from-cron.md and docs/apply.md say what the pure functions under the
// commands print (the docs test runs the commands themselves once they are wired).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseApplyFile } from '../../src/jobs/apply-file.js';
import { crontabFileText, crontabReportLines, importCrontab } from '../../src/jobs/crontab-import.js';
import { exportJobs } from '../../src/jobs/export.js';
import type { StoredJob } from '../../src/jobs/job.js';
import { makePlan } from '../../src/jobs/plan.js';
import { planLines } from '../../src/jobs/plan-text.js';

const page = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');
const rules = { maxDay: 100, defaultTimer: 'x', defaultTicker: 'x', timezone: 'UTC' };

/** The lines a page shows after `$ COMMAND`, up to the next `$ ` or the end of the block. */
function shown(text: string, command: string): string[] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l === `$ ${command}`);
  assert.ok(at >= 0, `no "$ ${command}" on the page`);
  const out: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.startsWith('$ ') || line.startsWith('```')) break;
    out.push(line);
  }
  return out;
}

/** The body of the here-document that `$ cat > FILE <<'EOF'` writes. */
const heredoc = (text: string, file: string): string =>
  shown(text, `cat > ${file} <<'EOF'`)
    .slice(0, -1)
    .map((l) => `${l}\n`)
    .join('');

test('from-cron.md: the import of its crontab, its reports, and the plan of applying it', () => {
  const text = page('from-cron.md');
  const result = importCrontab(heredoc(text, 'crontab.txt'), { group: 'web1', source: 'crontab.txt' });
  assert.deepEqual(
    crontabReportLines(result, 'crontab.txt'),
    shown(text, 'ktimer import crontab crontab.txt -group=web1 > web1.yaml'),
  );
  const file = crontabFileText(result, 'yaml', 'crontab.txt');
  assert.deepEqual(file.trimEnd().split('\n'), shown(text, 'cat web1.yaml'));
  const plan = makePlan(parseApplyFile(file, 'web1.yaml', rules), [], false);
  assert.deepEqual(planLines(plan, { dryRun: true }), shown(text, 'ktimer apply web1.yaml --dry-run'));
});

test('apply.md: the plans of its file as it changes, and the export of what it left', () => {
  const text = page('apply.md');
  let stored: StoredJob[] = [];
  const apply = (yaml: string, prune = false) => {
    const declaration = parseApplyFile(yaml, 'nightly.yaml', rules);
    const plan = makePlan(declaration, stored, prune);
    const kids = new Map(stored.map((t) => [t.name, t.kid]));
    stored = declaration.jobs.map((j, i) => ({
      ...j.spec,
      misfire: j.spec.misfire ?? 'once',
      ...{
        run_num: 0,
        run_lasttime: 0,
        run_nexttime: 0,
        group: 'nightly',
        kid: kids.get(j.name) ?? `new${i}`,
      },
    }));
    return planLines(plan);
  };
  const first = heredoc(text, 'nightly.yaml');
  assert.deepEqual(apply(first), shown(text, 'ktimer apply nightly.yaml').slice(0, 4));
  const changed = first.replace('0 30 3 * * *', '0 0 4 * * *').replace('timeout: 3600', 'timeout: 7200');
  assert.deepEqual(
    planLines(makePlan(parseApplyFile(changed, 'nightly.yaml', rules), stored, false)),
    shown(text.slice(text.indexOf('## The plan')), 'ktimer apply nightly.yaml'),
  );
  apply(changed);
  const pruned = changed.replace(/ {2}report:[^]*$/, '');
  assert.deepEqual(apply(pruned, true), shown(text, 'ktimer apply nightly.yaml --prune'));
  assert.deepEqual(
    exportJobs(stored, 'nightly', 'yaml').text.trimEnd().split('\n'),
    shown(text, 'ktimer export -group=nightly'),
  );
});
