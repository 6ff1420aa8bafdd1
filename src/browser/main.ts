// The dashboard's entry (built by scripts/build.mjs into dist/bundle/ui/app.js): the login
// form or the page with its navigation, and the view the address's #hash names.
import { ApiError, logout, resumeSession, whenLoggedOut } from './api.js';
import { fill, h } from './dom.js';
import { showLive } from './live-view.js';
import { showLogin } from './login-view.js';
import { notify, noticeArea } from './notice.js';
import { showRuns } from './runs-view.js';
import { showTaskForm } from './task-form.js';
import { showTask } from './task-view.js';
import { showTasks } from './tasks-view.js';

/** A view draws itself into `main` and may return what stops it (a live feed, a timer). */
export type View = (main: HTMLElement, arg: string) => (() => void) | undefined;

const ROUTES: [RegExp, View][] = [
  [/^#\/tasks\/new$/, (main) => showTaskForm(main, null)],
  [/^#\/task\/([^/]+)\/edit$/, (main, kid) => showTaskForm(main, kid)],
  [/^#\/task\/([^/]+)$/, showTask],
  [/^#\/runs$/, showRuns],
  [/^#\/live$/, showLive],
  [/^/, showTasks],
];

const root = document.getElementById('app') as HTMLElement;
let stopView: (() => void) | undefined;

function route(): void {
  stopView?.();
  const main = document.getElementById('main');
  if (!main) return;
  const hash = location.hash;
  for (const link of document.querySelectorAll('nav a')) {
    const href = link.getAttribute('href') ?? '';
    const current = hash.startsWith(href) || (href === '#/tasks' && !/^#\/(runs|live)/.test(hash));
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  fill(main);
  for (const [re, view] of ROUTES) {
    const m = re.exec(hash);
    if (!m) continue;
    stopView = view(main, decodedPart(m[1] ?? ''));
    break;
  }
  main.focus({ preventScroll: true });
}

/** A part of the address as typed: a malformed escape (`%E0%A4%A`) stays as it is, never blanks the page. */
function decodedPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function showApp(): void {
  const logoutButton = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        try {
          await logout();
        } catch (err) {
          // 401: the session had ended already (the login form is shown). Anything else (Redis
          // away) leaves the session open on the server: say so, and stay.
          if (!(err instanceof ApiError && err.code === 401)) {
            notify(`not logged out: ${(err as Error).message}`, true);
            return;
          }
        }
        stopView?.();
        void start();
      },
    },
    'Log out',
  );
  fill(
    root,
    h(
      'header',
      null,
      h('span', { class: 'brand' }, 'ktimer'),
      h(
        'nav',
        { 'aria-label': 'Main' },
        h('a', { href: '#/tasks' }, 'Tasks'),
        h('a', { href: '#/runs' }, 'Runs'),
        h('a', { href: '#/live' }, 'Live'),
      ),
      logoutButton,
    ),
    noticeArea(),
    h('main', { id: 'main', tabindex: '-1' }),
  );
  route();
}

async function start(): Promise<void> {
  let open = false;
  try {
    open = await resumeSession();
  } catch (err) {
    fill(root, noticeArea());
    notify((err as Error).message, true);
    return;
  }
  if (open) showApp();
  else showLogin(root, showApp);
}

whenLoggedOut(() => {
  stopView?.();
  stopView = undefined;
  showLogin(root, showApp, 'Your session ended; log in again.');
});
window.addEventListener('hashchange', route);
void start();
