// The dashboard's page reads the API's replies with types of its own (src/browser/types.ts): the
// architecture lets the browser import only runs/, so it cannot import the service's. The compiler
// checks here that each reply the daemon sends is one the page's type accepts: a field the page
// reads that the daemon renamed or dropped, or typed otherwise, fails `npm run typecheck` (part of
// `npm run lint`), and so do the @ts-expect-error lines below unless they are errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  BoardExtra,
  ChangeRow as PageChangeRow,
  DaemonRow,
  LiveOutputPage as PageLiveOutput,
  TaskRow,
  UpcomingRun,
} from '../../src/browser/types.js';
import type { ChangeRow } from '../../src/service/change-log.js';
import type { DaemonView } from '../../src/service/fleet-service.js';
import type { LiveOutputPage } from '../../src/service/live-output.js';
import type { Board, BoardTask } from '../../src/service/task-board.js';
import type { TaskService } from '../../src/service/task-service.js';

/** Compiles when what the daemon sends (`Sent`) is a value of what the page reads (`Read`). */
const pageReads =
  <Read>() =>
  <Sent extends Read>(sent?: Sent): Read | undefined =>
    sent;

test("every reply the dashboard reads has the daemon's fields, with the daemon's types", () => {
  const checked = [
    pageReads<DaemonRow>()<DaemonView>(),
    pageReads<PageLiveOutput>()<LiveOutputPage>(),
    pageReads<PageChangeRow>()<ChangeRow>(),
    pageReads<TaskRow>()<BoardTask>(),
    pageReads<BoardExtra>()<Omit<Board, 'tasks'>>(),
    pageReads<UpcomingRun>()<Awaited<ReturnType<TaskService['next']>>['runs'][number]>(),
  ];
  assert.equal(checked.length, 6);
});

test('a field the page reads that the daemon does not send fails to compile', () => {
  // @ts-expect-error the daemon sends no such field
  pageReads<DaemonRow & { uptime_ms: number }>()<DaemonView>();
  // @ts-expect-error the daemon says which sections differ only as 'task' or 'notify'
  pageReads<Omit<DaemonRow, 'settings_differ_in'> & { settings_differ_in: 'task'[] }>()<DaemonView>();
});
