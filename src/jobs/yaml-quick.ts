// The quick reader of yaml-tree.ts: the plain block YAML that `export` prints and that programs
// write (maps by indentation, one value a line: plain, "double" or 'single' quoted, or a flow
// list of words), read a line at a time into the same nodes js-yaml's events give. For a
// 10,000-task file js-yaml's events and their tree took 160-210 ms of CPU, this 70-100 ms, with
// less garbage (bench/RESULTS.md section 9).
//
// It answers only when it is sure: any other form (a tab or non-ASCII text, a comment where a
// value goes on, a block list, a block scalar, an anchor, a tag, a flow map, a multi-line
// value, a document marker, an escape JSON does not share, ...) gives undefined, and js-yaml
// reads the text. So every error, and its line, is js-yaml's. test/unit/yaml-quick.test.ts
// checks the two give the same nodes over thousands of generated files.
import type { YamlMap, YamlNode, YamlScalar, YamlSeq } from './yaml-tree.js';

/** Anything but printable ASCII and newlines: js-yaml decides (tabs, CR, BOM, Unicode). */
const NOT_PLAIN_ASCII = /[^\x20-\x7e\n]/;
/** A key: a plain word (then `:` and a space or the line's end). */
const KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;
/** After a value: spaces, and perhaps a comment after at least one of them. */
const TAIL = /^(?: +#.*| *)$/;
/** A double-quoted value with only the escapes JSON reads alike (JSON.parse then decodes it). */
const DOUBLE = /^"((?:[^"\\]|\\["\\/bfnrt])*)"/;
const SINGLE = /^'((?:[^']|'')*)'/;
/** A flow list of plain words or "simple" quoted ones: `[db, eu]`, `["db"]`, `[]`. */
const ITEM = String.raw`(?:[A-Za-z0-9_][A-Za-z0-9_./-]*|"[^"\\,]*")`;
const FLOW_LIST = new RegExp(String.raw`^\[ *(?:${ITEM}(?: *, *${ITEM})*)? *\]`);
/** How a plain value may start: not an indicator (`- ? : , [ ] { } # & * ! | > ' " % @ \``). */
const PLAIN_START = /^[A-Za-z0-9_/.~+$(]/;
/** Deeper than this is left to js-yaml (and its own limit). */
const MAX_DEPTH = 50;
/** YAML's bound on an implicit key. */
const MAX_KEY_CHARS = 1024;

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

const scalar = (text: string, plain: boolean, line: number): YamlScalar => ({
  kind: 'scalar',
  text: plain && NULLS.has(text) ? null : text,
  plain,
  line,
});

interface Open {
  indent: number;
  map: YamlMap;
  /** A key whose value is on the lines below (a map), or nothing (null). */
  pending: YamlScalar | null;
}

/** The text's tree, or undefined when the text is not of the plain subset (js-yaml reads it). */
export function readQuickYaml(text: string): YamlNode | undefined {
  if (NOT_PLAIN_ASCII.test(text)) return undefined;
  const reader = new QuickReader(text);
  let number = 0;
  // Line by line, without a list of them: a 10,000-task file has 50,000.
  for (let start = 0; start <= text.length; number++) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    if (!reader.line(start, end, number + 1)) return undefined;
    start = end + 1;
  }
  return reader.root === undefined ? undefined : reader.end();
}

class QuickReader {
  root: YamlMap | undefined;
  private readonly open: Open[] = [];

  constructor(private readonly text: string) {}

  /** Takes one line (text from `start` to `end`); false when it is not of the subset. */
  line(start: number, end: number, number: number): boolean {
    const { text, open } = this;
    let at = start;
    while (at < end && text.charCodeAt(at) === 32) at++;
    if (at === end || text.charCodeAt(at) === 35) return true; // blank, or a # comment
    const indent = at - start;
    if (!this.openFor(indent, number)) return false;
    const current = open.at(-1) as Open;
    const colon = text.indexOf(':', at);
    if (colon === -1 || colon >= end || colon - at > MAX_KEY_CHARS) return false;
    const key = text.slice(at, colon);
    if (!KEY.test(key) || (colon + 1 < end && text.charCodeAt(colon + 1) !== 32)) return false;
    const keyNode = scalar(key, true, number);
    at = colon + 1;
    while (at < end && text.charCodeAt(at) === 32) at++;
    if (at === end || text.charCodeAt(at) === 35) {
      current.pending = keyNode;
      return true;
    }
    const value = valueOf(text.slice(at, end), number);
    if (value === undefined) return false;
    current.map.pairs.push({ key: keyNode, value });
    return true;
  }

  /** The map a line at `indent` goes in, opened or closed to; false when it fits none. */
  private openFor(indent: number, number: number): boolean {
    const { open } = this;
    const top = open.at(-1);
    if (top === undefined) {
      if (this.root !== undefined || indent > 0) return false;
      this.root = { kind: 'map', pairs: [], line: number };
      open.push({ indent, map: this.root, pending: null });
      return true;
    }
    if (top.pending === null || indent <= top.indent) return closeTo(open, indent);
    if (open.length >= MAX_DEPTH) return false;
    const map: YamlMap = { kind: 'map', pairs: [], line: number };
    top.map.pairs.push({ key: top.pending, value: map });
    top.pending = null;
    open.push({ indent, map, pending: null });
    return true;
  }

  end(): YamlMap | undefined {
    for (const o of this.open) closePending(o);
    return this.root;
  }
}

/**
 * Closes the maps deeper than `indent` (a key waiting for its value has none: null); false when
 * the line fits no open map (deeper than a value given on its key's line: a multi-line value,
 * or an error; or between two maps' indents).
 */
function closeTo(open: Open[], indent: number): boolean {
  let top = open.at(-1) as Open;
  while (indent < top.indent) {
    closePending(top);
    open.pop();
    const below = open.at(-1);
    if (below === undefined) return false;
    top = below;
  }
  closePending(top);
  return indent === top.indent;
}

/** A key with nothing below it has YAML's null, on the key's line. */
function closePending(o: Open): void {
  if (o.pending === null) return;
  o.map.pairs.push({ key: o.pending, value: scalar('', true, o.pending.line) });
  o.pending = null;
}

/** A value written after its key on one line, or undefined when it is not of the subset. */
function valueOf(text: string, line: number): YamlScalar | YamlSeq | undefined {
  const first = text.charCodeAt(0);
  let node: YamlScalar | YamlSeq;
  let length: number;
  if (first === 34 /* " */) {
    // Most have no escape: the text between the quotes as it is; else through JSON.parse.
    const close = text.indexOf('"', 1);
    if (close !== -1 && !text.includes('\\')) {
      node = scalar(text.slice(1, close), false, line);
      length = close + 1;
    } else {
      const m = DOUBLE.exec(text);
      if (m === null) return undefined;
      node = scalar(JSON.parse(m[0]) as string, false, line);
      length = m[0].length;
    }
  } else if (first === 39 /* ' */) {
    const m = SINGLE.exec(text);
    if (m === null) return undefined;
    node = scalar((m[1] as string).replaceAll("''", "'"), false, line);
    length = m[0].length;
  } else if (first === 91 /* [ */) {
    const m = FLOW_LIST.exec(text);
    if (m === null) return undefined;
    node = { kind: 'seq', items: itemsOf(m[0], line), line };
    length = m[0].length;
  } else {
    if (!PLAIN_START.test(text)) return undefined;
    // A plain value ends at a comment (a space, then #); it holds no `: ` and does not end in `:`.
    const hash = text.indexOf(' #');
    const value = (hash === -1 ? text : text.slice(0, hash)).trimEnd();
    if (value.includes(': ') || value.endsWith(':')) return undefined;
    return scalar(value, true, line);
  }
  return TAIL.test(text.slice(length)) ? node : undefined;
}

function itemsOf(list: string, line: number): YamlScalar[] {
  const inner = list.slice(1, -1).trim();
  if (inner === '') return [];
  return inner.split(',').map((item) => {
    const text = item.trim();
    return text.startsWith('"') ? scalar(text.slice(1, -1), false, line) : scalar(text, true, line);
  });
}
