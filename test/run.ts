// Runs test files, TAP on stdout, in an order chosen here: `node --test` sorts its files by name,
// so a long file can start last and run alone at the end while the other slots stand idle.
//   --concurrency N   files run at once (default 1)
//   --first A,B       these files start first, in this order (the longest ones); the rest by name
//   --beside A,B      these files run apart, one at a time, beside the others; their TAP is
//                     printed after (the reliability suite's tests that are not about timing)
// Every file still runs in its own process, as under `node --test`; exit 1 when a test failed.
import { run } from 'node:test';
import { tap } from 'node:test/reporters';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    concurrency: { type: 'string', default: '1' },
    first: { type: 'string', default: '' },
    beside: { type: 'string', default: '' },
  },
});
const list = (csv: string) =>
  csv
    .split(',')
    .filter(Boolean)
    .map((f) => resolve(f));
const first = list(values.first);
const beside = list(values.beside);
const files = [...new Set(positionals.map((f) => resolve(f)))].sort();
const unknown = [...first, ...beside].filter((f) => !files.includes(f));
if (unknown.length > 0) {
  process.stderr.write(`test/run.ts: not among the files given: ${unknown.join(', ')}\n`);
  process.exit(2);
}
const rest = files.filter((f) => !beside.includes(f));
const main = [...first.filter((f) => rest.includes(f)), ...rest.filter((f) => !first.includes(f))];

let failed = false;
function start(group: string[], concurrency: number): NodeJS.ReadableStream {
  const stream = run({ files: group, concurrency });
  stream.on('test:fail', () => {
    failed = true;
  });
  return stream.compose(tap);
}

const besideOut: string[] = [];
const besideDone =
  beside.length === 0
    ? Promise.resolve()
    : new Promise<void>((done) => {
        const out = start(beside, 1);
        out.on('data', (chunk: string) => besideOut.push(chunk));
        out.on('end', done);
      });
const mainDone = new Promise<void>((done) => {
  const out = start(main, Number(values.concurrency));
  out.pipe(process.stdout, { end: false });
  out.on('end', done);
});
await mainDone;
await besideDone;
if (beside.length > 0) process.stdout.write(`# run beside the others:\n${besideOut.join('')}`);
process.exitCode = failed ? 1 : 0;
