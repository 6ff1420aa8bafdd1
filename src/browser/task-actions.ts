// A task's actions, as buttons: pause or resume, run now, edit, delete. The tasks table and a
// task's page show the same ones; `changed` redraws what shows the task.
import { call } from './api.js';
import { h } from './dom.js';
import { attempt, notify } from './notice.js';
import type { TaskRow } from './types.js';

export const labelOf = (task: Pick<TaskRow, 'kid' | 'name'>): string => task.name ?? task.kid;

export function taskActions(task: TaskRow, changed: (gone?: boolean) => void): HTMLElement {
  const label = labelOf(task);
  const button = (text: string, what: string, onclick: () => Promise<void>) =>
    h('button', { type: 'button', 'aria-label': `${text} ${what}`, onclick }, text);
  const paused = task.paused !== undefined;
  return h(
    'span',
    { class: 'actions' },
    button(paused ? 'Resume' : 'Pause', label, async () => {
      const done = await attempt(
        () => call(paused ? 'resume' : 'pause', { kid: task.kid }),
        `${label} ${paused ? 'resumed' : 'paused'}`,
      );
      if (done) changed();
    }),
    button('Run now', label, async () => {
      const reply = await attempt(() => call<{ fire_id: string; state: string }>('run', { kid: task.kid }));
      if (reply) {
        // started, or queued behind the run under way (overlap=queue)
        notify(`${label}: run ${reply.data.fire_id} ${reply.data.state}`);
        changed();
      }
    }),
    h(
      'a',
      { href: `#/task/${encodeURIComponent(task.kid)}/edit`, class: 'button', 'aria-label': `Edit ${label}` },
      'Edit',
    ),
    button('Delete', label, async () => {
      if (!window.confirm(`Delete task ${label}?`)) return;
      const done = await attempt(() => call('del', { kid: task.kid }), `${label} deleted`);
      if (done) changed(true);
    }),
  );
}
