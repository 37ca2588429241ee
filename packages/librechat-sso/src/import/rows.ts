import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Streams rows of a main-site user export, one at a time (bounded memory): JSONL (one JSON
 * object a line) or CSV with a header line (RFC 4180 quoting; a `;`-separated cell whose column
 * ends in `[]` becomes a list, e.g. `roles[]`). A row that cannot be parsed is yielded as an
 * error for that row; it never stops the stream.
 */
export type Row = { line: number; data?: Record<string, unknown>; error?: string };

export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function csvValue(column: string, cell: string): [string, unknown] {
  if (column.endsWith('[]')) return [column.slice(0, -2), cell === '' ? [] : cell.split(';').map((s) => s.trim())];
  if (cell === 'true' || cell === 'false') return [column, cell === 'true'];
  if (/^-?\d+(\.\d+)?$/.test(cell) && column !== 'id' && column !== 'sub') return [column, Number(cell)];
  return [column, cell];
}

/** How far a source has got, for the progress display: `done` of `total` (bytes, or documents). */
export interface SourceProgress {
  done: number;
  total?: number;
}

export async function* readRows(path: string, format: 'jsonl' | 'csv', progress?: SourceProgress): AsyncGenerator<Row> {
  const input = createReadStream(path, 'utf8');
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  let header: string[] | undefined;
  for await (const line of rl) {
    n++;
    if (progress) progress.done = input.bytesRead;
    if (line.trim() === '') continue;
    if (format === 'csv') {
      if (!header) {
        header = parseCsvLine(line).map((h) => h.trim());
        continue;
      }
      const cells = parseCsvLine(line);
      if (cells.length !== header.length) {
        yield { line: n, error: `has ${cells.length} cells, the header has ${header.length}` };
        continue;
      }
      yield { line: n, data: Object.fromEntries(header.map((h, i) => csvValue(h, cells[i]))) };
      continue;
    }
    try {
      const data = JSON.parse(line);
      if (typeof data !== 'object' || data === null || Array.isArray(data)) yield { line: n, error: 'is not a JSON object' };
      else yield { line: n, data };
    } catch (e) {
      yield { line: n, error: `is not valid JSON (${(e as Error).message})` };
    }
  }
}
