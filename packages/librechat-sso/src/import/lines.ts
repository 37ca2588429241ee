/**
 * Lines of a byte stream with a size cap: each line is decoded on its own (a `\n` never occurs
 * inside a UTF-8 character, so splitting bytes first is exact), a trailing `\r` is dropped, and
 * a line longer than `maxBytes` is never held: its bytes are counted and thrown away up to the
 * next `\n`, and it comes out as `{ n, tooLong }` with its length. Memory stays within one
 * chunk plus `maxBytes`, whatever the input holds.
 */
export type Line = { n: number; text: string; tooLong?: undefined } | { n: number; text?: undefined; tooLong: number };

export async function* boundedLines(input: AsyncIterable<Buffer | string>, maxBytes: number, onChunk?: (bytes: number) => void): AsyncGenerator<Line> {
  for await (const lines of boundedLineBatches(input, maxBytes, onChunk)) yield* lines;
}

/** The same, a chunk's lines at a time (one await per chunk rather than per line: the import's hot path). */
export async function* boundedLineBatches(input: AsyncIterable<Buffer | string>, maxBytes: number, onChunk?: (bytes: number) => void): AsyncGenerator<Line[]> {
  let n = 0;
  let parts: Buffer[] = [];
  let held = 0;
  /** Bytes of the current line so far, held or not. */
  let length = 0;
  let dropping = false;
  const finish = (tail: Buffer): Line => {
    n++;
    const len = length + tail.length;
    if (dropping || len > maxBytes) {
      parts = [];
      held = 0;
      length = 0;
      dropping = false;
      return { n, tooLong: len };
    }
    const buf = parts.length ? Buffer.concat([...parts, tail], held + tail.length) : tail;
    parts = [];
    held = 0;
    length = 0;
    const end = buf.length && buf[buf.length - 1] === 0x0d ? buf.length - 1 : buf.length;
    return { n, text: buf.toString('utf8', 0, end) };
  };
  for await (const c of input) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : c;
    onChunk?.(chunk.length);
    let pos = 0;
    const out: Line[] = [];
    for (;;) {
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) {
        const rest = chunk.subarray(pos);
        length += rest.length;
        if (!dropping && length > maxBytes) {
          dropping = true;
          parts = [];
          held = 0;
        }
        if (!dropping && rest.length) {
          // A copy: the stream may reuse its buffer.
          parts.push(Buffer.from(rest));
          held += rest.length;
        }
        break;
      }
      out.push(finish(chunk.subarray(pos, nl)));
      pos = nl + 1;
    }
    if (out.length) yield out;
  }
  if (length > 0 || parts.length) yield [finish(Buffer.alloc(0))];
}
