// The dashboard's entry (built by scripts/build.mjs into dist/bundle/ui/app.js): the login
// form or the page with its navigation, and the view the address's #hash names.
import { ApiError, isViewer, logout, resumeSession, whenLoggedOut } from './api.js';
import { showChanges } from './changes-view.js';
import { fill, h } from './dom.js';
import { showFleet } from './fleet-view.js';
import { setZoneMode, shownZone, zoneMode } from './format.js';
import { showLive } from './live-view.js';
import { showLogin } from './login-view.js';
import { notify, noticeArea } from './notice.js';
import { showRuns } from './runs-view.js';
import { showTaskForm } from './task-form.js';
import { showHistory, showTask } from './task-view.js';
import { showTasks } from './tasks-view.js';

/** What a view hands back: what stops it (a live feed, a timer), and how it takes a new address of its own. */
export interface ViewHandle {
  stop?: () => void;
  /** The address changed within the view (its filters): true when it took it without being drawn again. */
  update?: (arg: string) => boolean;
}
/** A view draws itself into `main`. */
export type View = (main: HTMLElement, arg: string) => ViewHandle | undefined;

const ROUTES: [RegExp, View][] = [
  [/^#\/tasks\/new$/, (main) => showTaskForm(main, null)],
  [/^#\/task\/([^/?]+)\/edit$/, (main, kid) => showTaskForm(main, kid)],
  [/^#\/task\/([^/?]+)$/, showTask],
  [/^#\/history\/([^/?]+)$/, showHistory],
  [/^#\/runs$/, showRuns],
  [/^#\/live$/, showLive],
  [/^#\/fleet$/, showFleet],
  [/^#\/changes$/, showChanges],
  [/^#\/tasks(?:\?(.*))?$/, showTasks],
  [/^/, showTasks],
];
const NAV: [href: string, text: string][] = [
  ['#/tasks', 'Tasks'],
  ['#/runs', 'Runs'],
  ['#/live', 'Live'],
  ['#/fleet', 'Fleet'],
  ['#/changes', 'Changes'],
];

const root = document.getElementById('app') as HTMLElement;
let current: { view: View; handle: ViewHandle | undefined } | undefined;

function markCurrentLink(hash: string): void {
  const section = /^#\/(\w+)/.exec(hash)?.[1] ?? 'tasks';
  for (const link of document.querySelectorAll('nav a')) {
    const href = link.getAttribute('href') ?? '';
    const own = href.slice(2);
    const here = own === section || (own === 'tasks' && ['task', 'history', 'tasks'].includes(section));
    if (here) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/**
 * Shows the view the address names. Focus moves to the new view's content when the view changes
 * (a link followed, Back), not on the page's first view: a keyboard then starts at the skip link.
 */
function route(moveFocus = true): void {
  const main = document.getElementById('main');
  if (!main) return;
  const hash = location.hash;
  markCurrentLink(hash);
  for (const [re, view] of ROUTES) {
    const m = re.exec(hash);
    if (!m) continue;
    const arg = decodedPart(m[1] ?? '');
    if (current?.view === view && current.handle?.update?.(view === showTasks ? (m[1] ?? '') : arg)) return;
    current?.handle?.stop?.();
    fill(main);
    current = { view, handle: view(main, view === showTasks ? (m[1] ?? '') : arg) };
    break;
  }
  if (moveFocus) main.focus({ preventScroll: true });
}

/** A part of the address as typed: a malformed escape (`%E0%A4%A`) stays as it is, never blanks the page. */
function decodedPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function stopView(): void {
  current?.handle?.stop?.();
  current = undefined;
}

function logoutButton(): HTMLElement {
  return h(
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
        stopView();
        void start();
      },
    },
    'Log out',
  );
}

/** The switch between this browser's zone and UTC: every time on the page follows it. */
function zoneSwitch(): HTMLElement {
  const label = () => `Times: ${shownZone()}`;
  const button = h(
    'button',
    { type: 'button', class: 'zone', title: 'Show times in UTC or in this browser’s zone' },
    label(),
  );
  button.setAttribute('aria-pressed', String(zoneMode() === 'utc'));
  button.addEventListener('click', () => {
    setZoneMode(zoneMode() === 'utc' ? 'local' : 'utc');
    button.textContent = label();
    button.setAttribute('aria-pressed', String(zoneMode() === 'utc'));
    stopView();
    route();
    button.focus();
  });
  return button;
}

function showApp(): void {
  const skip = h('a', { href: '#main', class: 'skip' }, 'Skip to content');
  // The hash routes the views: the skip link focuses the content instead of following its href.
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main')?.focus();
  });
  fill(
    root,
    skip,
    h(
      'header',
      null,
      h('span', { class: 'brand' }, 'ktimer'),
      h('nav', { 'aria-label': 'Main' }, ...NAV.map(([href, text]) => h('a', { href }, text))),
      isViewer() ? h('span', { class: 'role' }, 'viewer: read only') : null,
      zoneSwitch(),
      logoutButton(),
    ),
    noticeArea(),
    h('main', { id: 'main', tabindex: '-1' }),
  );
  current = undefined;
  route(false);
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
  stopView();
  showLogin(root, showApp, 'Your session ended; log in again.');
});
window.addEventListener('hashchange', () => route());
void start();
