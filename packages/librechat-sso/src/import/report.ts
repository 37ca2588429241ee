import { appendFileSync, closeSync, createReadStream, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { csvFileRecords } from './rows';
import { ImportResult } from './run';

/**
 * The per-row report, JSONL or CSV (chosen by the file's extension). Results are appended a
 * whole batch at a time, after the batch is written: the report is the checkpoint `--resume`
 * reads, so a row is in it only once its writes are done.
 */
export type ReportFormat = 'jsonl' | 'csv';

export const reportFormat = (file: string): ReportFormat => (/\.csv$/i.test(file) ? 'csv' : 'jsonl');

const CSV_COLUMNS = ['line', 'externalId', 'status', 'reason', 'changed'] as const;

/**
 * A CSV report cell. One starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be
 * read as a formula by a spreadsheet (CSV injection: an id or a reason comes from the file
 * imported): it is written with a `'` before it, which spreadsheets show as text. Then RFC 4180
 * quoting. The JSONL report keeps values exactly (it is read by programs, as JSON).
 */
export function csvCell(v: unknown): string {
  let s = v === undefined || v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatResult(r: ImportResult, format: ReportFormat): string {
  if (format === 'jsonl') return JSON.stringify(r);
  return [r.line, r.externalId, r.status, r.reason, r.changed?.join(';')].map(csvCell).join(',');
}

export interface ReportWriter {
  append(results: ImportResult[]): void;
}

/** Starts a report (truncating it) or, when resuming, appends to the one there. */
export function openReport(file: string, resume: boolean): ReportWriter {
  const format = reportFormat(file);
  const fresh = !resume || !existsSync(file) || statSync(file).size === 0;
  if (fresh) writeFileSync(file, format === 'csv' ? `${CSV_COLUMNS.join(',')}\n` : '');
  else if (!endsWithNewline(file)) appendFileSync(file, '\n');
  return {
    append(results) {
      if (results.length) appendFileSync(file, results.map((r) => formatResult(r, format)).join('\n') + '\n');
    },
  };
}

function endsWithNewline(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, statSync(file).size - 1);
    return b[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/**
 * The row numbers a report already holds, for `--resume`. A line cut short by an interrupt
 * (the last one) is ignored: that row is simply done again, which is harmless.
 */
export async function reportedLines(file: string): Promise<Set<number>> {
  const done = new Set<number>();
  if (!existsSync(file)) return done;
  const format = reportFormat(file);
  if (format === 'csv') {
    let first = true;
    for await (const { cells } of csvFileRecords(file)) {
      if (!cells || (cells.length === 1 && !cells[0].trim())) continue;
      if (first) {
        first = false;
        continue;
      }
      const n = Number(cells[0]);
      if (cells.length === CSV_COLUMNS.length && /^\d+$/.test(cells[0]) && Number.isSafeInteger(n)) done.add(n);
    }
    return done;
  }
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const l of rl) {
    if (!l.trim()) continue;
    try {
      const n = (JSON.parse(l) as ImportResult).line;
      if (Number.isSafeInteger(n)) done.add(n);
    } catch {
      /* a torn last line */
    }
  }
  return done;
}
