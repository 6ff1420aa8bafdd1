// The cursor of `list`: where the next page starts, as one opaque word (base64url of the next
// run and the kid of the last row shown). A page after a cursor costs the same at any depth, and
// keeps its place while tasks before it fire or are added, which an offset does not.
import { usageError } from '../errors.js';
import type { ListAfter } from '../store/open-store.js';
import { oneLine } from '../text.js';

export function encodeCursor(row: ListAfter): string {
  return Buffer.from(`${row.score} ${row.kid}`).toString('base64url');
}

// The score of a paused task's row is `inf` (it has no next run; list shows it last).
const PLAIN = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|inf) ([\s\S]{1,200})$/i;

export function decodeCursor(text: string): ListAfter {
  const plain = /^[\w-]{1,400}$/.test(text) ? Buffer.from(text, 'base64url').toString('utf8') : '';
  const m = PLAIN.exec(plain);
  if (!m || (m[1] !== 'inf' && !Number.isFinite(Number(m[1])))) {
    throw usageError(
      `cursor "${oneLine(text, 40)}" is invalid; give the cursor a page of list printed for the next one`,
    );
  }
  return { score: m[1] as string, kid: m[2] as string };
}
