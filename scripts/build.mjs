// Builds dist/bundle: the CLI and daemon as a few ESM chunks (esbuild), so a one-shot command
// loads a handful of files instead of hundreds of modules; plus the Lua scripts beside them and
// a pristine copy of conf.ini for `ktimer init`.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
await build({
  // The shell runner's worker thread is a file of its own (new Worker(url)).
  entryPoints: { main: 'src/cli/main.ts', 'shell-thread': 'src/runner/shell-thread.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // ioredis and friends are CommonJS: give their `require` calls a real require.
  banner: {
    js: "import { createRequire as __ktCreateRequire } from 'node:module'; const require = __ktCreateRequire(import.meta.url);",
  },
});
mkdirSync('dist/bundle/lua', { recursive: true });
cpSync('src/store/lua', 'dist/bundle/lua', { recursive: true });
cpSync('conf.ini', 'dist/conf.ini.default');
