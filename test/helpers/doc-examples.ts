// The examples of README.md and docs/*.md as a reader sees them, and how their shown output is
// compared with what the commands print (test/e2e/docs-examples.test.ts runs them). The rules
// for writing one are in docs/README.md, "How the examples are tested": keep the two in step.

/** A command shown after `$ ` in a fenced block, and the output lines shown after it. */
export interface Example {
  file: string;
  /** 1-based line of the `$ ` in the file. */
  line: number;
  command: string;
  expected: string[];
}

/** A line of a fenced block without any `$ ` that the test runs too, for its exit status only. */
export interface PlainLine {
  file: string;
  line: number;
  command: string;
}

export interface Page {
  file: string;
  /** The transcripts of the page, in order: they share one shell and one Redis. */
  examples: Example[];
  plain: PlainLine[];
  /** `<!-- examples: the daemon is stopped -->` on the page: its examples start the daemon. */
  daemonStopped: boolean;
  /**
   * `<!-- examples: pending: WHY -->` on the page: its examples are not run yet, and the test
   * says so (skipped, with WHY): a page written before the commands it shows are wired.
   */
  pending?: string;
}

/** The page's marker: its examples begin with no daemon running. */
export const DAEMON_STOPPED = '<!-- examples: the daemon is stopped -->';

const PENDING = /<!-- examples: pending: (.+?) -->/;

/** Plain lines the test runs (exit 0 expected): adding and listing, the commands most copied. */
const PLAIN_RUNNABLE = /^ktimer (?:add|list|count)\b/;

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

interface Block {
  /** 1-based line of the block's first content line. */
  start: number;
  lines: string[];
}

function fencedBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', fence = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      const close = FENCE.exec(line);
      if (close && close[2]?.[0] === fence[0] && (close[2] ?? '').length >= fence.length && !close[3]?.trim())
        break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    blocks.push({ start: i + 2, lines: body });
    i = j;
  }
  return blocks;
}

/** The end of a command that goes on over the next lines: a trailing `\`, or a here-document. */
function commandLength(lines: readonly string[], at: number): number {
  let end = at;
  while ((lines[end] ?? '').endsWith('\\') && end + 1 < lines.length) end++;
  const heredoc = /<<-?\s*(['"]?)(\w+)\1/.exec(lines.slice(at, end + 1).join('\n'));
  if (heredoc) {
    const word = heredoc[2];
    while (end + 1 < lines.length && lines[end]?.trim() !== word) end++;
  }
  return end - at + 1;
}

function transcript(file: string, block: Block): Example[] {
  const examples: Example[] = [];
  for (let i = 0; i < block.lines.length; i++) {
    const line = block.lines[i] ?? '';
    if (line.startsWith('$ ')) {
      const n = commandLength(block.lines, i);
      const command = [line.slice(2), ...block.lines.slice(i + 1, i + n)].join('\n');
      examples.push({ file, line: block.start + i, command, expected: [] });
      i += n - 1;
    } else {
      const last = examples.at(-1);
      if (!last) throw new Error(`${file}:${block.start + i}: output shown before any \`$ \` command`);
      last.expected.push(line);
    }
  }
  return examples;
}

/** Reads a page's examples: blocks with `$ ` lines are transcripts, the others illustrations. */
export function readPage(file: string, text: string): Page {
  const page: Page = { file, examples: [], plain: [], daemonStopped: text.includes(DAEMON_STOPPED) };
  const pending = PENDING.exec(text)?.[1];
  if (pending !== undefined) page.pending = pending;
  for (const block of fencedBlocks(text)) {
    if (block.lines.some((l) => l.startsWith('$ '))) {
      page.examples.push(...transcript(file, block));
      continue;
    }
    block.lines.forEach((l, i) => {
      if (PLAIN_RUNNABLE.test(l)) page.plain.push({ file, line: block.start + i, command: l });
    });
  }
  return page;
}

/**
 * What the examples show in place of what varies from run to run: applied to the shown output and
 * to the printed one alike, in this order, before they are compared. Each is one place to read.
 */
export const MASKS: readonly { what: string; pattern: RegExp; as: string }[] = [
  { what: 'a kid (bound to the real one, see `bindKids`)', pattern: /\b[0-9a-f]{32}\b/g, as: '<kid>' },
  {
    what: 'a date and time (ISO 8601)',
    pattern: /\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?/g,
    as: '<time>',
  },
  { what: 'a unix time (seconds, or ms)', pattern: /\b1\d{9}(?:\.\d+)?\b|\b1\d{12}\b/g, as: '<unix>' },
  { what: 'a JSON field in ms', pattern: /("\w+_ms": ?)\d+(?:\.\d+)?/g, as: '$1<ms>' },
  {
    what: 'a duration (12 ms, 0.4 s, 4m 10s, 3h 32m)',
    pattern: /\b\d+(?:\.\d+)? ?(?:ms|s|m|h|d)\b(?: \d+(?:\.\d+)? ?(?:ms|s|m|h|d)\b)*/g,
    as: '<duration>',
  },
  { what: 'a pid', pattern: /\b(started|running|healthy) \[\d+\]|("pid":) ?\d+/g, as: '$1$2 <pid>' },
  { what: 'a daemon host', pattern: /\bweb1\b/g, as: '<host>' },
];

/**
 * Values of the test's machine shown as the docs show them: each `actual` in a printed output
 * reads as `shown`, and each `shown` in a command is run as `actual`.
 */
export interface ReadsAs {
  actual: string;
  shown: string;
}

function replaceAll(text: string, from: string, to: string): string {
  return from === '' ? text : text.split(from).join(to);
}

/** A line as compared: masked, with runs of spaces as one (masks change column widths). */
export function normalize(line: string): string {
  let out = line.replace(/\t/g, ' ');
  for (const m of MASKS) out = out.replace(m.pattern, m.as);
  return out.replace(/ {2,}/g, ' ').trimEnd();
}

/** Printed output as the docs would show it: lines, with the machine's values read as shown. */
export function printedLines(output: string, readsAs: readonly ReadsAs[], host: string): string[] {
  let text = output;
  for (const r of readsAs) text = replaceAll(text, r.actual, r.shown);
  if (host.length >= 2)
    text = text.replace(new RegExp(`\\b${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g'), 'web1');
  const lines = text.split('\n');
  while (lines.length > 0 && lines.at(-1)?.trim() === '') lines.pop();
  return lines;
}

/** A command as run: the machine's values for the docs' ones, and the real kids for the shown. */
export function commandToRun(
  command: string,
  readsAs: readonly ReadsAs[],
  kids: ReadonlyMap<string, string>,
): string {
  let text = command;
  for (const r of readsAs) text = replaceAll(text, r.shown, r.actual);
  for (const [shown, real] of kids) text = replaceAll(text, shown, real);
  return text;
}

const ELLIPSIS = '...';

function lineMatcher(expected: string): RegExp {
  const parts = normalize(expected)
    .split(ELLIPSIS)
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}

/**
 * Matches shown lines against printed ones: a shown line of `...` alone stands for any number
 * of lines, and `...` within a line for any text. Returns the pairs of lines matched one to one
 * (shown index, printed index), or null when the output differs.
 */
export function matchOutput(
  expected: readonly string[],
  actual: readonly string[],
): [number, number][] | null {
  const shown = [...expected];
  while (shown.length > 0 && shown.at(-1)?.trim() === '') shown.pop();
  const matchers = shown.map((l) => (l.trim() === ELLIPSIS ? null : lineMatcher(l)));
  const printed = actual.map(normalize);
  const failed = new Set<string>();
  const walk = (e: number, a: number): [number, number][] | null => {
    if (e === matchers.length) return a === printed.length ? [] : null;
    const key = `${e},${a}`;
    if (failed.has(key)) return null;
    const m = matchers[e];
    let found: [number, number][] | null = null;
    if (m === null) {
      for (let skip = a; skip <= printed.length && !found; skip++) found = walk(e + 1, skip);
    } else if (m && a < printed.length && m.test(printed[a] ?? '')) {
      const rest = walk(e + 1, a + 1);
      if (rest) found = [[e, a], ...rest];
    }
    if (!found) failed.add(key);
    return found;
  };
  return walk(0, 0);
}

/**
 * The kids a matched output binds: each kid shown on a line stands for the kid printed at the
 * same place of the line matched to it, so that later commands use the real one.
 */
export function bindKids(
  expected: readonly string[],
  actual: readonly string[],
  pairs: readonly [number, number][],
  kids: Map<string, string>,
): void {
  const kidsOf = (line: string) => line.match(/\b[0-9a-f]{32}\b/g) ?? [];
  for (const [e, a] of pairs) {
    const shown = kidsOf(expected[e] ?? '');
    const real = kidsOf(actual[a] ?? '');
    if (shown.length !== real.length) continue;
    shown.forEach((k, i) => {
      if (!kids.has(k)) kids.set(k, real[i] ?? k);
    });
  }
}
