// Builds dist/bundle: the CLI and daemon as one CommonJS file (esbuild), the Node shell spawner
// and the web API's worker thread beside it (each its own entry, loaded by the daemon from its
// own file: src/runner/spawner-process.ts, src/daemon/web-thread.ts), the native shell spawner
// (C, where a compiler is found), the Lua scripts, and a pristine copy of conf.ini for `ktimer init`.
// One CommonJS file because a one-shot command's cost is mostly loading code: Node's ESM
// loader (resolving, linking a dozen chunks) cost 5-8 ms more per command, and only a classic
// script can use a V8 code cache on Node 20 (bin/ktimer). Modules imported with import() stay
// lazy: esbuild wraps them, so `count` does not run the daemon's or the web API's code.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: {
    main: 'src/cli/main.ts',
    'shell-spawner': 'src/runner/shell-spawner.ts',
    'web-worker': 'src/daemon/web-worker.ts',
  },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // The code finds its Lua scripts, worker file and install dir relative to itself.
  define: { 'import.meta.url': '__ktModuleUrl' },
  banner: { js: "const __ktModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
mkdirSync('dist/bundle/lua', { recursive: true });
cpSync('src/store/lua', 'dist/bundle/lua', { recursive: true });
cpSync('conf.ini', 'dist/conf.ini.default');

// The native shell spawner starts commands ~20x cheaper than Node (src/runner/native-spawner.ts).
// Without a C compiler the daemon uses Node spawners instead: slower bursts, same behaviour.
const cc = process.env.CC || 'cc';
const compiled = spawnSync(
  cc,
  ['-O2', '-std=gnu11', '-Wall', '-o', 'dist/bundle/ktimer-spawn', 'src/runner/native/ktimer-spawn.c'],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
if (compiled.status !== 0) {
  const why = compiled.error ? `${cc} not found` : `${cc} failed`;
  process.stderr.write(`build: native shell spawner not built (${why}); the daemon will use Node spawners\n`);
}
