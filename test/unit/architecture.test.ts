// ARCHITECTURE.md's import rules, checked on the source: which folder of src/ may import which,
// and that outside store/ only its door (store/open-store.ts) is imported.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Folder -> the folders it may import ('top' = the files directly in src/: clock, errors, ...). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  top: ['top'],
  // A run's life (states, ids, the record, the shared rules): pure, for every side, the browser too.
  runs: ['top'],
  tasks: ['top', 'runs'],
  config: ['top'],
  store: ['top', 'runs', 'tasks', 'config'],
  service: ['top', 'runs', 'tasks', 'config', 'store', 'jobs'],
  runner: ['top', 'runs', 'tasks'],
  log: ['top', 'runs', 'tasks', 'config', 'service', 'runner', 'store'],
  notify: ['top', 'runs', 'config', 'store'],
  web: ['top', 'runs', 'tasks', 'config', 'service', 'jobs'],
  metrics: ['top', 'runs', 'tasks'],
  // Apply files, plans, export and the crontab import (issue 25): pure, over the task rules.
  jobs: ['top', 'runs', 'tasks'],
  daemon: ['top', 'runs', 'tasks', 'config', 'store', 'service', 'runner', 'log', 'notify', 'web', 'metrics'],
  cli: ['top', 'runs', 'tasks', 'config', 'store', 'service', 'log', 'daemon', 'jobs'],
  // The dashboard's browser code: it talks to the daemon over HTTP only, and shares with it only
  // the pure types and rules of runs/ (esbuild bundles them into the page).
  browser: ['runs'],
};

/** Folders that import no package at all (node: built-ins included), but those named here. */
const NO_PACKAGES = new Set(['browser', 'runs']);
/**
 * The one package the browser's code bundles: cron expressions in words (issue 26), pure and
 * without I/O, in one file of its own (browser/cron-words.ts).
 */
const BROWSER_PACKAGES: Record<string, readonly string[]> = { cronstrue: ['browser/cron-words.ts'] };

/** Packages that only the folders named may use. */
const PACKAGES: Record<string, readonly string[]> = {
  ioredis: ['store'],
  'cluster-key-slot': ['store'],
  commander: ['cli'],
  '@commander-js/extra-typings': ['cli'],
  pino: ['log', 'daemon', 'web'],
  'prom-client': ['metrics'],
  'js-yaml': ['jobs'],
  'node:http': ['web', 'runner'],
  // Tests only: it drives the browser of the dashboard's test.
  'playwright-core': [],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const folderOf = (file: string): string => {
  const parts = relative(SRC, file).split('/');
  return parts.length === 1 ? 'top' : (parts[0] as string);
};

const imports = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from |import\()'([^']+)'/g)].map((m) => m[1] as string);

test('each folder imports only what ARCHITECTURE.md allows it', () => {
  const wrong: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    for (const spec of imports(file)) {
      if (spec.startsWith('.')) {
        const target = join(file, '..', spec).replace(/\.js$/, '.ts');
        const to = folderOf(target);
        if (to === from) continue;
        if (!MAY_IMPORT[from]?.includes(to))
          wrong.push(`${relative(SRC, file)} -> ${spec} (${from} may not import ${to})`);
        if (to === 'store' && !target.endsWith('store/open-store.ts'))
          wrong.push(`${relative(SRC, file)} -> ${spec} (outside store/, only store/open-store.ts)`);
      } else if (NO_PACKAGES.has(from)) {
        if (BROWSER_PACKAGES[spec]?.includes(relative(SRC, file))) continue;
        wrong.push(`${relative(SRC, file)} -> ${spec} (${from}/ imports no package)`);
      } else {
        const allowed = PACKAGES[spec];
        if (allowed && !allowed.includes(from))
          wrong.push(`${relative(SRC, file)} -> ${spec} (only ${allowed.join(', ')})`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});
