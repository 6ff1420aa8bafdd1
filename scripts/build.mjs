// Builds dist/bundle: the CLI and daemon as one CommonJS file (esbuild), the Node shell spawner
// and the web API's worker thread beside it (each its own entry, loaded by the daemon from its
// own file: src/runner/spawner-process.ts, src/daemon/web-thread.ts), the native shell spawner
// (C, where a compiler is found), and the Lua scripts with the include generated from src/runs/ and
// the scripts' definitions (src/store/lua-generated.ts). No conf.ini: `ktimer init` writes one from
// the defaults in src/config/config-keys.ts.
// One CommonJS file because a one-shot command's cost is mostly loading code: Node's ESM
// loader (resolving, linking a dozen chunks) cost 5-8 ms more per command, and only a classic
// script can use a V8 code cache on Node 20 (bin/ktimer). Modules imported with import() stay
// lazy: esbuild wraps them, so `count` does not run the daemon's or the web API's code. The
// plugins below keep packages from loading at start what a command does not use.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * Built-in modules that packages load at start-up but use only on some paths, made lazy: loaded
 * on first use. A one-shot command never runs commander's executable subcommands
 * (child_process, which brings dgram along) nor ioredis' TLS, nor redis-errors' ParserError
 * asserts; crypto (ioredis' script SHA-1) only when a script runs.
 */
const LAZY_BUILTINS = [
  { importer: /node_modules[\\/]commander[\\/]/, modules: ['child_process'] },
  { importer: /node_modules[\\/]ioredis[\\/]/, modules: ['tls', 'crypto'] },
  { importer: /node_modules[\\/]redis-errors[\\/]/, modules: ['assert'] },
];

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(child_process|tls|crypto|assert)$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      const lazy = LAZY_BUILTINS.some((l) => l.importer.test(args.importer) && l.modules.includes(name));
      return lazy ? { path: name, namespace: 'lazy-builtin' } : undefined;
    });
    // Every property read goes to the real module, required then (a function called as
    // assert(x) needs a function target).
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `let real;
const load = () => (real ??= require('node:${args.path}'));
module.exports = new Proxy(function () {}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  apply: (_, self, argv) => load().apply(self, argv),
});`,
      loader: 'js',
    }));
  },
};

/**
 * ioredis adds its ~570 command methods one by one to a class prototype, which V8 (Node 20) makes
 * cost about 30 ms at every start; a prototype turned to dictionary mode first takes them in
 * under 1 ms. The build fails if ioredis' code no longer looks as expected.
 */
const quickIoredisCommander = {
  name: 'quick-ioredis-commander',
  setup(b) {
    b.onLoad({ filter: /node_modules[\\/]ioredis[\\/]built[\\/]utils[\\/]Commander\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const anchor = 'const commands = commands_1.list';
      if (!source.includes(anchor)) throw new Error(`${args.path}: "${anchor}" not found; review build.mjs`);
      const toDictionary = 'Commander.prototype.__kt = 0;\ndelete Commander.prototype.__kt;\n';
      return { contents: source.replace(anchor, `${toDictionary}${anchor}`), loader: 'js' };
    });
  },
};

rmSync('dist', { recursive: true, force: true });
const MODULE_URL = "const __ktModuleUrl = require('node:url').pathToFileURL(__filename).href;";
const common = {
  outdir: 'dist/bundle',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // The code finds its Lua scripts, worker file and install dir relative to itself.
  define: { 'import.meta.url': '__ktModuleUrl' },
  plugins: [lazyBuiltins, quickIoredisCommander],
  // Half the text to read, hold and compile at every start (with the plugins, an `add` went
  // from 2.0x to 1.5x `node -e 0`, bench/add.ts); keepNames, so stacks (KTIMER_DEBUG=1) still
  // read and errors keep their class names.
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  keepNames: true,
};
// main.cjs is the function Node would wrap a module in, which bin/ktimer compiles and calls
// itself: no second copy of the source made at every start to wrap it. It stays ASCII (esbuild
// escapes the rest), so bin/ktimer reads it as latin1, faster than decoding UTF-8.
await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts' },
  banner: { js: `(function (exports, require, module, __filename, __dirname) {${MODULE_URL}` },
  footer: { js: '\n})' },
  charset: 'ascii',
});
if (readFileSync('dist/bundle/main.cjs').some((byte) => byte > 0x7f)) {
  throw new Error('dist/bundle/main.cjs is not ASCII: bin/ktimer reads it as latin1');
}
await build({
  ...common,
  entryPoints: { 'shell-spawner': 'src/runner/shell-spawner.ts', 'web-worker': 'src/daemon/web-worker.ts' },
  banner: { js: MODULE_URL },
});
// The dashboard (src/browser): one script for the browser, its page and style sheet beside it in
// dist/bundle/ui, where the web API's thread reads them (src/web/dashboard/assets.ts).
await build({
  entryPoints: { app: 'src/browser/main.ts' },
  outdir: 'dist/bundle/ui',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  logLevel: 'warning',
});
await build({ entryPoints: { app: 'src/browser/app.css' }, outdir: 'dist/bundle/ui', bundle: true, minify: true, logLevel: 'warning' });
cpSync('src/browser/index.html', 'dist/bundle/ui/index.html');
// The Lua include generated from the TypeScript, beside the scripts that include it (not
// committed: only the build writes it; test/unit/lua-contracts.test.ts fails when it is stale).
// The generator is bundled and run here.
await build({
  entryPoints: { 'lua-generated': 'src/store/lua-generated.ts', 'lua-source': 'src/store/lua-source.ts' },
  outdir: 'dist/gen',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  logLevel: 'warning',
});
const { GENERATED_INCLUDE, generatedLua } = await import(pathToFileURL('dist/gen/lua-generated.mjs').href);
const { scriptSource } = await import(pathToFileURL('dist/gen/lua-source.mjs').href);
writeFileSync(`src/store/lua/${GENERATED_INCLUDE}`, generatedLua());
rmSync('dist/gen', { recursive: true, force: true });
mkdirSync('dist/bundle/lua', { recursive: true });
cpSync('src/store/lua', 'dist/bundle/lua', { recursive: true });
// Each script as Redis gets it, its includes spliced in and pruned (src/store/lua-source.ts), so
// the installed ktimer reads one file per script and prunes nothing at run time.
for (const file of readdirSync('src/store/lua').filter((f) => f.endsWith('.lua'))) {
  writeFileSync(`dist/bundle/lua/${file}`, scriptSource(file, (f) => readFileSync(`src/store/lua/${f}`, 'utf8')));
}

// The native shell spawner starts commands ~20x cheaper than Node (src/runner/native-spawner.ts).
// Without a C compiler the daemon uses Node spawners instead: slower bursts, same behaviour.
const cc = process.env.CC || 'cc';
const compiled = spawnSync(
  cc,
  [
    '-O2',
    '-std=gnu11',
    '-Wall',
    '-o',
    'dist/bundle/ktimer-spawn',
    'src/runner/native/ktimer-spawn.c',
    'src/runner/native/start-command.c',
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
if (compiled.status !== 0) {
  const why = compiled.error ? `${cc} not found` : `${cc} failed`;
  process.stderr.write(`build: native shell spawner not built (${why}); the daemon will use Node spawners\n`);
}
