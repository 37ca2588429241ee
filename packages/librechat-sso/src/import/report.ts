import { appendFileSync, closeSync, createReadStream, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseCsvLine } from './rows';
import { ImportResult } from './run';

/**
 * The per-row report, JSONL or CSV (chosen by the file's extension). Results are appended a
 * whole batch at a time, after the batch is written: the report is the checkpoint `--resume`
 * reads, so a row is in it only once its writes are done.
 */
export type ReportFormat = 'jsonl' | 'csv';

export const reportFormat = (file: string): ReportFormat => (/\.csv$/i.test(file) ? 'csv' : 'jsonl');

const CSV_COLUMNS = ['line', 'externalId', 'status', 'reason', 'changed'] as const;

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
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
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let first = true;
  for await (const l of rl) {
    if (!l.trim()) continue;
    if (format === 'csv') {
      if (first) {
        first = false;
        continue;
      }
      const cells = parseCsvLine(l);
      const n = Number(cells[0]);
      if (cells.length === CSV_COLUMNS.length && Number.isSafeInteger(n)) done.add(n);
      continue;
    }
    try {
      const n = (JSON.parse(l) as ImportResult).line;
      if (Number.isSafeInteger(n)) done.add(n);
    } catch {
      /* a torn last line */
    }
  }
  return done;
}
