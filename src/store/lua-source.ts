// A script's source as Redis runs it: its `--#include FILE` lines replaced by the includes' text
// (Redis runs each script alone, with no modules), then pruned to what the script reaches. Every
// top-level `local function` and table of an include is made again at every call of a script
// (EVALSHA runs the whole chunk), so a claim carried ~150 closures it mostly never called: a
// fifth of its Lua time (bench/RESULTS.md, issue 28). Pruning keeps each script's text to the
// definitions its own body reaches, transitively.

/** One top-level statement of the included text, with the comment lines just above it. */
interface Chunk {
  readonly text: string;
  /** The names it defines (`local function f`, `local A, B =`, `function T.f`); none: always kept. */
  readonly defines: readonly string[];
}

/** A line that ends a statement begun above it; any other line at column 0 begins one. */
const CLOSES = /^(?:end\b|until\b|[})\]]|\s)/;
const LOCAL_FUNCTION = /^local function ([A-Za-z_]\w*)/;
const TABLE_FUNCTION = /^function ([A-Za-z_]\w*\.[A-Za-z_]\w*)\s*\(/;
const LOCALS = /^local ([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=/;

function definedBy(first: string): string[] {
  const fn = LOCAL_FUNCTION.exec(first) ?? TABLE_FUNCTION.exec(first);
  if (fn?.[1] !== undefined) return [fn[1]];
  const locals = LOCALS.exec(first)?.[1];
  return locals === undefined ? [] : locals.split(',').map((n) => n.trim());
}

/** Top-level statements start at column 0; indented lines and closing ones (`end`) are theirs. */
function chunksOf(included: string): Chunk[] {
  const chunks: Chunk[] = [];
  let lines: string[] = [];
  let comments: string[] = [];
  let start = '';
  const close = (): void => {
    if (lines.length > 0) chunks.push({ text: lines.join('\n'), defines: definedBy(start) });
    lines = [];
  };
  for (const line of included.split('\n')) {
    if (line.startsWith('--') || line.trim() === '') {
      comments.push(line);
    } else if (!CLOSES.test(line)) {
      close();
      start = line;
      lines = [...comments, line];
      comments = [];
    } else {
      // A statement's own lines (its body, its `end`), comments among them kept in place.
      lines.push(...comments, line);
      comments = [];
    }
  }
  close();
  if (comments.length > 0) chunks.push({ text: comments.join('\n'), defines: [] });
  return chunks;
}

/**
 * The names a piece of Lua may use: every identifier, and each `T.f` as itself. Strings and
 * trailing comments count too (so more is kept, never less); whole comment lines do not.
 */
function namesIn(lua: string): Set<string> {
  const names = new Set<string>();
  for (const line of lua.split('\n')) {
    if (/^\s*--/.test(line)) continue;
    for (const m of line.matchAll(/(?<![\w.])([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?/g)) {
      const [, head, field] = m;
      if (head === undefined) continue;
      names.add(head);
      if (field !== undefined) names.add(`${head}.${field}`);
    }
  }
  return names;
}

/**
 * The included text reduced to the definitions `body` reaches (transitively), in their order.
 * A statement that defines nothing by name is kept, and so is everything it reaches.
 */
export function pruneIncluded(included: string, body: string): string {
  const chunks = chunksOf(included);
  const byName = new Map<string, Chunk[]>();
  for (const chunk of chunks)
    for (const name of chunk.defines) byName.set(name, [...(byName.get(name) ?? []), chunk]);
  const kept = new Set<Chunk>();
  const pending = [...namesIn(body)];
  const keep = (chunk: Chunk): void => {
    if (kept.has(chunk)) return;
    kept.add(chunk);
    pending.push(...namesIn(chunk.text));
  };
  for (const chunk of chunks) if (chunk.defines.length === 0) keep(chunk);
  for (let name = pending.pop(); name !== undefined; name = pending.pop())
    for (const chunk of byName.get(name) ?? []) keep(chunk);
  return chunks
    .filter((c) => kept.has(c))
    .map((c) => c.text)
    .join('\n');
}

const INCLUDE = /^--#include (\S+)$/gm;
/** The line between a spliced script's includes and its own body (redis-functions.ts). */
export const BODY = '--#body';

/** `file` with each `--#include FILE` line replaced by that file, spliced in turn. */
function spliced(file: string, read: (file: string) => string): string {
  return read(file).replace(INCLUDE, (_, included: string) => spliced(included, read));
}

/**
 * A script's text as it is sent to Redis: its includes spliced in (`read` gives a file of lua/ by
 * its path there) and pruned to what the rest of it reaches. A file with no include comes back as
 * it is (an include read alone, by a test, is not pruned).
 */
export function scriptSource(file: string, read: (file: string) => string): string {
  const text = read(file);
  const includes = [...text.matchAll(INCLUDE)];
  const first = includes[0];
  const last = includes.at(-1);
  if (first === undefined || last === undefined) return text;
  const end = last.index + last[0].length;
  const region = text
    .slice(first.index, end)
    .replace(INCLUDE, (_, included: string) => spliced(included, read));
  const outside = text.slice(0, first.index) + text.slice(end);
  return `${text.slice(0, first.index)}${pruneIncluded(region, outside)}\n${BODY}${text.slice(end)}`;
}
