// Showing user-supplied text in one line of output or of an error message.

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
