// Showing user-supplied text in one line of output or of an error message.

/** One line: control characters shown as "?", long text cut with "...". */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
