import { createReadStream } from 'node:fs';
import { Parser } from 'csv-parse';
import type { ShinegoldConfig } from '../config/schema';
import { boundedLineBatches } from './lines';

/**
 * Streams rows of a main-site user export, one at a time (bounded memory): JSONL (one JSON
 * object a line) or CSV with a header line (RFC 4180, read by csv-parse: quoted cells may hold
 * commas, quotes and newlines). A row that cannot be read is yielded as an error for that row,
 * with its line; it never stops the stream, and the rows after it are read as usual.
 *
 * - A row longer than `maxRowBytes` (MAX_ROW_BYTES, 1 MiB) is an error row; it is never held in
 *   memory whole.
 * - A CSV record is numbered by its first line. One that cannot be parsed (a quote never
 *   closed, a quote inside an unquoted cell, text after a closing quote, over the size cap) is
 *   an error row for that line, and reading starts again on the next line, so a stray quote
 *   costs its own row and never swallows the rows after it.
 * - CSV cells are strings, except where the configuration says a claim is of another type: a
 *   number extension (or the credits claim) takes a number (`-?\d+(.\d+)?`), the
 *   email-verified claim and boolean extensions take `true`/`false`. Ids stay strings
 *   ("01234" keeps its zero). A column whose name ends in `[]` (`roles[]`, `tags[]`) is a list
 *   of `;`-separated values, trimmed; an empty cell is an empty list.
 */
export type Row = { line: number; data?: Record<string, unknown>; error?: string };

/** The longest row read (a JSONL line, a CSV record), in bytes: 1 MiB. */
export const MAX_ROW_BYTES = 1024 * 1024;

/** How far a source has got, for the progress display: `done` of `total` (bytes, or documents). */
export interface SourceProgress {
  done: number;
  total?: number;
}

export interface ReadOptions {
  progress?: SourceProgress;
  /** Rows longer than this many bytes are error rows (default MAX_ROW_BYTES). */
  maxRowBytes?: number;
  /** The configuration, for the types of CSV cells (without it every cell is a string). */
  config?: ShinegoldConfig;
}

/** Which CSV columns are numbers and which booleans, from the claims of librechat.yaml. */
export interface CsvTypes {
  numbers: ReadonlySet<string>;
  booleans: ReadonlySet<string>;
}

export function csvTypes(config?: ShinegoldConfig): CsvTypes {
  const numbers = new Set<string>();
  const booleans = new Set<string>();
  if (config) {
    booleans.add(config.claims.emailVerified);
    for (const spec of Object.values(config.extensions)) {
      if (spec.type === 'number') numbers.add(spec.claim);
      if (spec.type === 'boolean') booleans.add(spec.claim);
    }
    if (config.credits) numbers.add(config.credits.claim);
  }
  return { numbers, booleans };
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/** One CSV cell under its column: `[key, value]`. */
export function csvValue(column: string, cell: string, types: CsvTypes): [string, unknown] {
  if (column.endsWith('[]')) return [column.slice(0, -2), cell === '' ? [] : cell.split(';').map((s) => s.trim())];
  if (types.booleans.has(column) && (cell === 'true' || cell === 'false')) return [column, cell === 'true'];
  if (types.numbers.has(column) && NUMBER.test(cell)) return [column, Number(cell)];
  return [column, cell];
}

export function readRows(path: string, format: 'jsonl' | 'csv', opts: ReadOptions = {}): AsyncGenerator<Row> {
  const max = opts.maxRowBytes ?? MAX_ROW_BYTES;
  return format === 'csv' ? readCsv(path, max, csvTypes(opts.config), opts.progress) : readJsonl(path, max, opts.progress);
}

const tooLong = (bytes: number, max: number) => `is ${bytes} bytes long, over the limit of ${max} bytes for a row`;

async function* readJsonl(path: string, max: number, progress?: SourceProgress): AsyncGenerator<Row> {
  const input = createReadStream(path, { highWaterMark: 256 * 1024 });
  let read = 0;
  try {
    for await (const lines of boundedLineBatches(input, max, (bytes) => progress && (progress.done = read += bytes))) {
      for (const l of lines) {
        if (l.tooLong !== undefined) {
          yield { line: l.n, error: tooLong(l.tooLong, max) };
          continue;
        }
        const text = l.n === 1 && l.text.charCodeAt(0) === 0xfeff ? l.text.slice(1) : l.text;
        if (text.trim() === '') continue;
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch (e) {
          yield { line: l.n, error: `is not valid JSON (${(e as Error).message})` };
          continue;
        }
        if (typeof data !== 'object' || data === null || Array.isArray(data)) yield { line: l.n, error: 'is not a JSON object' };
        else yield { line: l.n, data: data as Record<string, unknown> };
      }
    }
  } finally {
    input.destroy();
  }
}

/** A CSV parse error as the rest of the sentence "line N ...". */
function csvProblem(e: { code?: string; message?: string }, max: number): string {
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'has a quote that is never closed';
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_OPENING_QUOTE':
      return 'has a quote inside a cell that does not start with one (quote the whole cell, and double the quotes inside)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'has text after the closing quote of a cell';
    case 'CSV_MAX_RECORD_SIZE':
      return `is over the limit of ${max} bytes for a row`;
    default:
      return `is not valid CSV (${e.message ?? 'unreadable'})`;
  }
}

type Record_ = { cells?: string[]; error?: string; line: number };

/**
 * CSV records with their first line. csv-parse is fed chunk by chunk; its records are taken as
 * they are parsed (`on_record`), so a parse error knows exactly the records before it. After an
 * error, a new parser starts on the line after the failing record's first line.
 */
async function* csvRecords(path: string, max: number, progress?: SourceProgress): AsyncGenerator<Record_[]> {
  let start = 0;
  let linesBefore = 0;
  for (;;) {
    const queue: Array<{ cells: string[]; lines: number; bytes: number }> = [];
    let lines = 0;
    /** csv-parse's own line count at the last record (to tell an error on a record's first line). */
    let parserLines = 0;
    const parser = new Parser({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: false,
      // Any of the three line ends, mixed too (a file edited on two systems).
      record_delimiter: ['\r\n', '\n', '\r'],
      max_record_size: max,
      // Lines are counted here, from the record's text: csv-parse counts a CRLF inside quotes twice.
      raw: true,
      on_record: (withRaw, info) => {
        // With `raw`, csv-parse hands over { record, raw } (its types say only the record).
        const { record, raw } = withRaw as unknown as { record: string[]; raw: string };
        lines += lineEnds(raw);
        parserLines = info.lines;
        queue.push({ cells: record, lines, bytes: info.bytes });
        return null;
      },
    });
    let failure: (Error & { code?: string }) | undefined;
    parser.on('error', (e) => (failure ??= e));
    parser.resume();
    const input = createReadStream(path, { start, highWaterMark: 256 * 1024 });
    /** Where the next record starts: its first line, its byte offset. */
    let nextLine = linesBefore + 1;
    let nextByte = start;
    const drain = (): Record_[] => {
      const out: Record_[] = [];
      for (const r of queue) {
        out.push({ line: nextLine, cells: r.cells });
        nextLine = linesBefore + r.lines + 1;
        nextByte = start + r.bytes;
      }
      queue.length = 0;
      return out;
    };
    try {
      for await (const chunk of input) {
        await new Promise<void>((resolve) => parser.write(chunk, () => resolve()));
        if (progress) progress.done = start + input.bytesRead;
        if (queue.length) yield drain();
        if (failure) break;
      }
      if (!failure) {
        await new Promise<void>((resolve) => {
          parser.once('finish', resolve);
          parser.once('error', () => resolve());
          parser.end();
        });
        if (queue.length) yield drain();
      }
    } finally {
      input.destroy();
    }
    if (!failure) return;
    parser.destroy();
    // Found past the record's first line: a quote opened there ran on over the lines after it.
    const problem = csvProblem(failure, max);
    const runOn = (Number((failure as { lines?: number }).lines) || 0) > parserLines + 1 && failure.code !== 'CSV_QUOTE_NOT_CLOSED' && failure.code !== 'CSV_MAX_RECORD_SIZE';
    yield [{ line: nextLine, error: runOn ? `has a quoted cell that runs on to a later line, where it ${problem}` : problem }];
    const after = await nextLineOffset(path, nextByte);
    if (after === undefined) return;
    start = after;
    linesBefore = nextLine;
  }
}

/** Line ends in a record's text (CRLF, LF or CR, as the parser's record delimiters). */
function lineEnds(raw: string): number {
  let n = 0;
  for (let i = raw.indexOf('\n'); i >= 0; i = raw.indexOf('\n', i + 1)) n++;
  if (raw.includes('\r')) for (let i = raw.indexOf('\r'); i >= 0; i = raw.indexOf('\r', i + 1)) if (raw[i + 1] !== '\n') n++;
  return n;
}

/**
 * The byte offset of the line after the one starting at `from` (past its CRLF, LF or CR; read
 * in chunks, never held), or undefined at the end of the file.
 */
async function nextLineOffset(path: string, from: number): Promise<number | undefined> {
  const input = createReadStream(path, { start: from, highWaterMark: 256 * 1024 });
  let at = from;
  let afterCr: number | undefined;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      // A CR ended the last chunk: the line ends there, and a LF first in this one belongs to it.
      if (afterCr !== undefined) return chunk[0] === 0x0a ? afterCr + 1 : afterCr;
      const nl = chunk.indexOf(0x0a);
      const cr = chunk.indexOf(0x0d);
      if (cr >= 0 && (nl < 0 || cr < nl)) {
        if (cr + 1 < chunk.length) return at + cr + 1 + (chunk[cr + 1] === 0x0a ? 1 : 0);
        afterCr = at + cr + 1;
      } else if (nl >= 0) return at + nl + 1;
      at += chunk.length;
    }
  } finally {
    input.destroy();
  }
  return afterCr;
}

async function* readCsv(path: string, max: number, types: CsvTypes, progress?: SourceProgress): AsyncGenerator<Row> {
  let header: string[] | undefined;
  for await (const records of csvRecords(path, max, progress)) {
    for (const r of records) {
      if (r.error) {
        yield { line: r.line, error: r.error };
        continue;
      }
      const cells = r.cells!;
      if (cells.length === 1 && cells[0].trim() === '') continue;
      if (!header) {
        header = cells.map((h) => h.trim());
        continue;
      }
      if (cells.length !== header.length) {
        yield { line: r.line, error: `has ${cells.length} cells, the header has ${header.length}` };
        continue;
      }
      const data: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) {
        const [k, v] = csvValue(header[i], cells[i], types);
        data[k] = v;
      }
      yield { line: r.line, data };
    }
  }
}

/** Rows of a small CSV text (a report read back by `--resume`): each record's cells, or undefined for a record that cannot be read. */
export async function* csvFileRecords(path: string): AsyncGenerator<{ line: number; cells?: string[] }> {
  for await (const records of csvRecords(path, MAX_ROW_BYTES)) for (const r of records) yield { line: r.line, cells: r.cells };
}
