// A task's actions: pause or resume, run now, edit, delete. The tasks list puts them in a menu
// (two tab stops a row: the task and its menu); a task's page shows them on one line, and in a
// menu on a phone. A viewer gets none (the server refuses them too). `changed` redraws what
// shows the task; focus goes back to where the person was.
import { call, isViewer } from './api.js';
import { h, newId } from './dom.js';
import { forgetName } from './names.js';
import { attempt, notify } from './notice.js';
import type { TaskRow } from './types.js';

export const labelOf = (task: Pick<TaskRow, 'kid' | 'name'>): string => task.name ?? task.kid;

/** What "Run now" does while a run of the task is under way, by its overlap policy; null when none is. */
export function runNowNote(task: Pick<TaskRow, 'running' | 'overlap'>): string | null {
  if (!task.running?.some((f) => f.state === 'started' || f.state === 'leased')) return null;
  if (task.overlap === 'skip')
    return 'A run is under way and overlap is skip: Run now is refused until it ends.';
  if (task.overlap === 'queue') return 'A run is under way: Run now queues one to start when it ends.';
  return 'A run is under way: Run now starts another beside it (overlap allow).';
}

/** The buttons; `note`: with what Run now does while a run is under way (the task's page says it apart). */
function actionButtons(task: TaskRow, changed: (gone?: boolean) => void, withNote: boolean): HTMLElement[] {
  const label = labelOf(task);
  const paused = task.paused !== undefined;
  const note = withNote ? runNowNote(task) : null;
  const noteId = note === null ? null : newId('note');
  const button = (text: string, onclick: () => Promise<void>, describedBy: string | null = null) =>
    h(
      'button',
      {
        type: 'button',
        'aria-label': `${text} ${label}`,
        'aria-describedby': describedBy,
        'data-act': text,
        onclick,
      },
      text,
    );
  return [
    button(paused ? 'Resume' : 'Pause', async () => {
      const done = await attempt(
        () => call(paused ? 'resume' : 'pause', { kid: task.kid }),
        `${label} ${paused ? 'resumed' : 'paused'}`,
      );
      if (done) changed();
    }),
    button(
      'Run now',
      async () => {
        const reply = await attempt(() => call<{ fire_id: string; state: string }>('run', { kid: task.kid }));
        if (!reply) return;
        // started, or queued behind the run under way (overlap=queue)
        notify(
          reply.data.state === 'queued'
            ? `${label}: run ${reply.data.fire_id} queued; it starts when the run under way ends`
            : `${label}: run ${reply.data.fire_id} started`,
        );
        changed();
      },
      noteId,
    ),
    ...(note !== null && noteId !== null ? [h('small', { id: noteId, class: 'note' }, note)] : []),
    h(
      'a',
      {
        href: `#/task/${encodeURIComponent(task.kid)}/edit`,
        class: 'button',
        'aria-label': `Edit ${label}`,
        'data-act': 'Edit',
      },
      'Edit',
    ),
    button('Delete', async () => {
      if (!window.confirm(`Delete task ${label}?`)) return;
      const done = await attempt(() => call('del', { kid: task.kid }), `${label} deleted`);
      if (!done) return;
      forgetName(task.kid);
      changed(true);
    }),
  ];
}

/**
 * The actions in a menu: a button that opens them, Escape closes it. `withNote`: what Run now does
 * while a run is under way, said in the menu (a task's page says it once, under its title).
 */
export function actionsMenu(
  task: TaskRow,
  changed: (gone?: boolean) => void,
  withNote = true,
): HTMLElement | null {
  if (isViewer()) return null;
  // Done, the menu closes (focus back on its button), and what shows the task is drawn again.
  const done = (gone?: boolean) => {
    menu.open = false;
    menu.querySelector('summary')?.focus();
    changed(gone);
  };
  const menu: HTMLDetailsElement = h(
    'details',
    { class: 'menu', 'data-kid': task.kid },
    h('summary', { 'aria-label': `Actions for ${labelOf(task)}`, 'data-act': 'menu' }, 'Actions'),
    h(
      'div',
      { class: 'menu-items', role: 'group', 'aria-label': `Actions for ${labelOf(task)}` },
      ...actionButtons(task, done, withNote),
    ),
  );
  menu.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !menu.open) return;
    menu.open = false;
    menu.querySelector('summary')?.focus();
  });
  // One menu open at a time.
  menu.addEventListener('toggle', () => {
    if (!menu.open) return;
    for (const other of document.querySelectorAll<HTMLDetailsElement>('details.menu[open]'))
      if (other !== menu) other.open = false;
  });
  return menu;
}

/** The actions on one line (a task's page at desktop width), and the same in a menu for a phone. */
export function taskActions(task: TaskRow, changed: (gone?: boolean) => void): HTMLElement | null {
  if (isViewer()) return null;
  return h(
    'div',
    { class: 'task-actions' },
    h('span', { class: 'actions wide' }, ...actionButtons(task, changed, false)),
    h('span', { class: 'narrow' }, actionsMenu(task, changed, false)),
  );
}
