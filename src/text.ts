// Showing user-supplied text in one line of output or of an error message, in many lines (a
// run's output), or as JSON, so that nothing of it reaches a terminal as a control sequence.

/**
 * What must not reach a terminal as it is: C0 controls and DEL; C1 controls (U+009B is a CSI,
 * an escape sequence of one character); the bidi overrides, embeddings and isolates, LRM, RLM and
 * ALM, which reorder what follows them (a command could read as another); zero-width space and
 * BOM, invisible; line and paragraph separators. ZWJ/ZWNJ stay: harmless, and part of emoji and
 * of some scripts.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/** One line: unsafe characters shown as "?", long text cut with "...". */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(UNSAFE, '?');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** The unsafe characters JSON.stringify leaves as they are (it escapes C0 itself). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

const unicodeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * JSON whose every unsafe character is a \u escape: it parses to exactly what JSON.stringify's
 * would (they can only stand inside strings), and prints nothing a terminal acts on.
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, unicodeEscape);
}

/** Many lines: newlines and tabs kept, every other unsafe character shown as an escape (\x1b, \u202e). */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\n' || c === '\t') return c;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : unicodeEscape(c);
  });
}
