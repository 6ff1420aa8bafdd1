// A stream's output kept within a bound: its first half and its last half, with one marker line
// between them saying how many bytes were cut. Both spawners keep the two halves as bytes (the
// native one in C); the text and its marker are made here, once.

/** The line put where output was cut. */
export const cutMarker = (bytes: number): string => `[ktimer: ${bytes} bytes cut]`;

/** How `max` bytes are shared: the head gets the first half (rounded down), the tail the rest. */
export const headBytes = (max: number): number => Math.floor(max / 2);

/** Continuation bytes of UTF-8 (10xxxxxx). */
const isContinuation = (byte: number): boolean => (byte & 0xc0) === 0x80;

/** How many bytes at the end of `head` begin a character that continues past it (0 to 3). */
function partialCharAtEnd(head: Buffer): number {
  for (let back = 1; back <= Math.min(4, head.length); back++) {
    const byte = head[head.length - back] ?? 0;
    if (isContinuation(byte)) continue;
    // A lead byte: how long its character is.
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/** How many continuation bytes open `tail` (the end of a character cut before it), at most 3. */
function partialCharAtStart(tail: Buffer): number {
  let n = 0;
  while (n < 3 && n < tail.length && isContinuation(tail[n] ?? 0)) n++;
  return n;
}

/**
 * A stream's text from its kept head and tail bytes and the number of bytes it printed in all.
 * When bytes were left out between head and tail, a character they split is dropped whole (its
 * bytes count as cut) and the marker line goes between them.
 */
export function boundedText(head: Buffer, tail: Buffer, totalBytes: number): string {
  const kept = head.length + tail.length;
  if (totalBytes <= kept)
    return tail.length === 0 ? head.toString('utf8') : Buffer.concat([head, tail]).toString('utf8');
  const headEnd = head.length - partialCharAtEnd(head);
  const tailStart = partialCharAtStart(tail);
  const cut = totalBytes - headEnd - (tail.length - tailStart);
  const before = head.subarray(0, headEnd).toString('utf8');
  const newline = before === '' || before.endsWith('\n') ? '' : '\n';
  return `${before}${newline}${cutMarker(cut)}\n${tail.subarray(tailStart).toString('utf8')}`;
}

/** Keeps a stream's first and last bytes within `maxBytes` (Node side; native/ktimer-spawn.c keeps its own). */
export class BoundedOutput {
  private readonly headMax: number;
  private readonly tailMax: number;
  private readonly head: Buffer[] = [];
  private headLength = 0;
  private tail: Buffer[] = [];
  private tailLength = 0;
  private total = 0;

  constructor(maxBytes: number) {
    this.headMax = headBytes(maxBytes);
    this.tailMax = maxBytes - this.headMax;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const toHead = Math.min(chunk.length, this.headMax - this.headLength);
    if (toHead > 0) {
      this.head.push(chunk.subarray(0, toHead));
      this.headLength += toHead;
    }
    if (toHead === chunk.length || this.tailMax === 0) return;
    this.tail.push(chunk.subarray(toHead));
    this.tailLength += chunk.length - toHead;
    // Whole chunks beyond the tail's size go; the first one left may still be partly beyond.
    while (this.tailLength - (this.tail[0]?.length ?? 0) >= this.tailMax) {
      this.tailLength -= this.tail.shift()?.length ?? 0;
    }
  }

  text(): string {
    const tail = Buffer.concat(this.tail);
    return boundedText(
      Buffer.concat(this.head),
      tail.subarray(Math.max(0, tail.length - this.tailMax)),
      this.total,
    );
  }
}
