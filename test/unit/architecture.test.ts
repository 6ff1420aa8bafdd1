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
  tasks: ['top'],
  config: ['top'],
  store: ['top', 'tasks', 'config'],
  service: ['top', 'tasks', 'config', 'store'],
  runner: ['top', 'tasks'],
  log: ['top', 'tasks', 'config', 'service', 'runner', 'store'],
  notify: ['top', 'config', 'store'],
  web: ['top', 'tasks', 'config', 'service'],
  metrics: ['top', 'tasks'],
  daemon: ['top', 'tasks', 'config', 'store', 'service', 'runner', 'log', 'notify', 'web', 'metrics'],
  cli: ['top', 'tasks', 'config', 'store', 'service', 'log', 'daemon'],
  // The dashboard's browser code: it talks to the daemon over HTTP only.
  browser: [],
};

/** Packages that only the folders named may use. */
const PACKAGES: Record<string, readonly string[]> = {
  ioredis: ['store'],
  'cluster-key-slot': ['store'],
  commander: ['cli'],
  '@commander-js/extra-typings': ['cli'],
  pino: ['log', 'daemon', 'web'],
  'prom-client': ['metrics'],
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
      } else if (from === 'browser') {
        wrong.push(`${relative(SRC, file)} -> ${spec} (the browser code imports no package)`);
      } else {
        const allowed = PACKAGES[spec];
        if (allowed && !allowed.includes(from))
          wrong.push(`${relative(SRC, file)} -> ${spec} (only ${allowed.join(', ')})`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});
