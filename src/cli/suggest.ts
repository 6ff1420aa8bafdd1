// "Did you mean ...?" for an unknown command or option. Commander offers only the nearest by
// edit distance, so `stat` got `start` (1 edit) and never `status`, and `-comand=echo` got
// nothing (it measured the value too). Here names that start with the word come first, then
// names within one or two edits (a swap of two letters is one), the value left out.

/** Up to three candidates close to `word`, the likeliest first. */
export function similar(word: string, candidates: readonly string[]): string[] {
  const w = word.toLowerCase();
  if (w.length < 2) return [];
  const prefixed = w.length >= 3 ? candidates.filter((c) => c !== w && c.startsWith(w)) : [];
  // Beside a name it begins, only a one-edit slip is likely too.
  const maxEdits = w.length <= 4 || prefixed.length > 0 ? 1 : 2;
  const near = candidates
    .filter((c) => !prefixed.includes(c))
    .map((c) => ({ c, d: editDistance(w, c) }))
    .filter(({ d }) => d > 0 && d <= maxEdits)
    .sort((a, b) => a.d - b.d)
    .map(({ c }) => c);
  return [...prefixed, ...near].slice(0, 3);
}

/** " (Did you mean a, b or c?)", or "" when nothing is close. */
export function didYouMean(names: readonly string[]): string {
  if (names.length === 0) return '';
  const list =
    names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  return ` (Did you mean ${list}?)`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}
