// A YAML (or JSON) text as a small tree whose every node knows its line, for messages that say
// where. Plain block YAML is read by yaml-quick.ts; the rest is built from js-yaml's event stream
// (source offsets, no values decided yet), which reads a 10,000-task file in 0.2 s. A scalar is kept as text, never as a number or a
// boolean: a field's own rules read it (`010` stays "010"). Aliases stand for their anchor's node.
import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, YAMLException, type Event } from 'js-yaml';
import { readQuickYaml } from './yaml-quick.js';

export type YamlNode = YamlScalar | YamlSeq | YamlMap;

export interface YamlScalar {
  kind: 'scalar';
  /** The text (quotes and escapes resolved); null for YAML's null: `~`, `null`, nothing. */
  text: string | null;
  /** Written without quotes: `<<` is a merge key only then. */
  plain: boolean;
  line: number;
}

export interface YamlSeq {
  kind: 'seq';
  items: YamlNode[];
  line: number;
}

export interface YamlMap {
  kind: 'map';
  pairs: { key: YamlNode; value: YamlNode }[];
  line: number;
}

/** Why a text is no YAML, and where. */
export class YamlSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

/** The text's one document as a tree (null when it is empty); a syntax error says its line. */
export function readYaml(text: string): YamlNode | null {
  return readQuickYaml(text) ?? readYamlEvents(text);
}

/** readYaml through js-yaml's events, whatever the text (the quick reader's yardstick in tests). */
export function readYamlEvents(text: string): YamlNode | null {
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch (err) {
    if (err instanceof YAMLException)
      throw new YamlSyntaxError((err.mark?.line ?? 0) + 1, `not valid YAML: ${err.reason}`);
    throw err;
  }
  return new Composer(text).compose(events);
}

/** Turns events into nodes: a stack of open collections, and the anchors seen so far. */
class Composer {
  private readonly lineStarts: number[] = [0];
  private readonly anchors = new Map<string, YamlNode>();
  private readonly open: (YamlSeq | YamlMap)[] = [];
  /** A map's key waiting for its value. */
  private readonly keys: (YamlNode | null)[] = [];
  private root: YamlNode | null = null;
  private documents = 0;

  constructor(private readonly source: string) {
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  compose(events: readonly Event[]): YamlNode | null {
    for (const event of events) {
      if (event.type === EVENT_ID.DOCUMENT && ++this.documents > 1)
        throw new YamlSyntaxError(this.lineOf(this.source.indexOf('---', 1)), 'more than one YAML document');
      if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) {
        const line = this.lineOf(event.start);
        const node: YamlSeq | YamlMap =
          event.type === EVENT_ID.MAPPING
            ? { kind: 'map', pairs: [], line }
            : { kind: 'seq', items: [], line };
        this.anchor(event, node);
        this.add(node);
        this.open.push(node);
        this.keys.push(null);
      } else if (event.type === EVENT_ID.SCALAR) this.add(this.anchor(event, this.scalar(event)));
      else if (event.type === EVENT_ID.ALIAS) this.add(this.alias(event.anchorStart, event.anchorEnd));
      else if (event.type === EVENT_ID.POP && this.open.length > 0) {
        this.open.pop();
        this.keys.pop();
      }
    }
    return this.root;
  }

  private scalar(event: Extract<Event, { type: typeof EVENT_ID.SCALAR }>): YamlScalar {
    const plain = event.style === SCALAR_STYLE.PLAIN;
    const text = event.valueStart < 0 ? '' : getScalarValue(this.source, event);
    // An empty value (`key:`) has no place of its own: its key's line.
    const line =
      event.valueStart < 0
        ? (this.keys.at(-1)?.line ?? this.open.at(-1)?.line ?? 1)
        : this.lineOf(event.valueStart);
    return { kind: 'scalar', text: plain && NULLS.has(text) ? null : text, plain, line };
  }

  private anchor<T extends YamlNode>(event: { anchorStart: number; anchorEnd: number }, node: T): T {
    if (event.anchorStart >= 0) this.anchors.set(this.source.slice(event.anchorStart, event.anchorEnd), node);
    return node;
  }

  private alias(start: number, end: number): YamlNode {
    const name = this.source.slice(start, end);
    const node = this.anchors.get(name);
    if (!node) throw new YamlSyntaxError(this.lineOf(start), `unknown alias *${name}`);
    return node;
  }

  /** A node into the collection open now: an item, a key, or a key's value. */
  private add(node: YamlNode): void {
    const parent = this.open.at(-1);
    if (!parent) {
      this.root = node;
      return;
    }
    if (parent.kind === 'seq') {
      parent.items.push(node);
      return;
    }
    const depth = this.keys.length - 1;
    const key = this.keys[depth] ?? null;
    if (key === null) this.keys[depth] = node;
    else {
      parent.pairs.push({ key, value: node });
      this.keys[depth] = null;
    }
  }

  /** The 1-based line of a source offset. */
  lineOf(offset: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }
}
