import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loggerSink } from '../audit';
import { configPath, loadConfig, readSection } from '../config/load';
import { ShinegoldConfig } from '../config/schema';
import { ConfigError } from '../errors';
import { runBatchedImport } from '../import/batch';
import { FieldMap, openMongoSource, validateFieldMap } from '../import/mongo-source';
import { createProgress } from '../import/progress';
import { openReport, reportedLines } from '../import/report';
import { MAX_ROW_BYTES, readRows, Row, SourceProgress } from '../import/rows';
import { ImportResult, ImportSummary, runImport, unknownColumns } from '../import/run';
import { countWrites } from '../import/writes';

export const IMPORT_USAGE = `usage: shinegold-sso import <file.jsonl|file.csv> [--format jsonl|csv] [options]
       shinegold-sso import --from-mongo <uri> --collection <name> --fields <map.json> [options]
options: [--dry-run] [--strict] [--exported-at TIME] [--report out.jsonl|out.csv] [--resume] [--batch-size N] [--max-row-bytes N] [--update-chunk N]
         [--per-row [--concurrency N]]   (docs/import.md)`;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** A reason for the terminal: a control character from the file (an escape sequence) is shown as `?`. */
const printable = (s: string) => s.replace(CONTROL, '?');

export const IMPORT_FLAGS: ReadonlySet<string> = new Set(['--dry-run', '--resume', '--per-row', '--strict']);
export const IMPORT_OPTIONS: ReadonlySet<string> = new Set(['--format', '--report', '--batch-size', '--concurrency', '--from-mongo', '--collection', '--fields', '--update-chunk', '--max-row-bytes', '--exported-at']);

/**
 * `shinegold-sso import`: MONGO_URI names LibreChat's database; librechat.yaml (CONFIG_PATH) and
 * the environment give the same configuration the server uses. Rows are imported in batches
 * (`--per-row` keeps the one-by-one path). The report (JSONL or CSV by its extension) is written
 * a batch at a time once the batch is in the database, so `--resume` skips exactly the rows
 * that are done. Progress goes to stderr, the summary to stdout (with the documents written, as
 * the database answered: 0 for a dry run and for a re-run of the same file). The source URI is
 * never printed. Exit 0 when every row was imported or unchanged, 1 when some row was refused or
 * the run failed, 2 on misuse.
 */
export async function importCommand(
  args: string[],
  env = process.env,
  err: NodeJS.WritableStream = process.stderr,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const misuse = (msg: string) => {
    err.write(`${msg}\n${IMPORT_USAGE}\n`);
    return 2;
  };
  const options = Object.fromEntries([
    ...[...IMPORT_FLAGS].map((f) => [f.slice(2), { type: 'boolean' as const }]),
    ...[...IMPORT_OPTIONS].map((o) => [o.slice(2), { type: 'string' as const }]),
  ]);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (e) {
    const m = /Unknown option '([^']+)'/.exec((e as Error).message);
    const needs = /Option '--([\w-]+)[^']*' argument missing/.exec((e as Error).message);
    return misuse(m ? `unknown option ${m[1]}` : needs ? `--${needs[1]} needs a value` : (e as Error).message);
  }
  const { values, positionals: positional } = parsed;
  const opt = (name: string) => {
    const v = values[name.slice(2)];
    return typeof v === 'string' ? v : undefined;
  };
  const has = (name: string) => values[name.slice(2)] === true;
  const int = (name: string, dflt: number) => {
    const v = opt(name);
    return v === undefined ? dflt : /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : NaN;
  };
  const fromMongo = opt('--from-mongo');
  const file = positional[0];
  if (fromMongo && file) return misuse('give either a file or --from-mongo, not both');
  if (!fromMongo && (!file || !existsSync(file))) return misuse(file ? `no such file: ${file}` : 'no file given');
  if (fromMongo && (!opt('--collection') || !opt('--fields'))) return misuse('--from-mongo needs --collection and --fields');
  const format = (opt('--format') ?? (file?.endsWith('.csv') ? 'csv' : 'jsonl')) as 'csv' | 'jsonl';
  if (format !== 'csv' && format !== 'jsonl') return misuse('--format must be jsonl or csv');
  const batchSize = int('--batch-size', 500);
  const concurrency = int('--concurrency', 8);
  const updateChunk = int('--update-chunk', 500);
  const maxRowBytes = int('--max-row-bytes', MAX_ROW_BYTES);
  if ([batchSize, concurrency, updateChunk, maxRowBytes].some(Number.isNaN)) return misuse('--batch-size, --concurrency, --update-chunk and --max-row-bytes take a positive whole number');
  // When the main site took the export: the import then never writes over an update the main
  // site sent after it (the ordering rule, docs/security.md). ISO 8601 or seconds since the epoch.
  const exportedAt = opt('--exported-at');
  const asOf = exportedAt === undefined ? undefined : /^\d+$/.test(exportedAt) ? Number(exportedAt) : Math.floor(Date.parse(exportedAt) / 1000);
  if (asOf !== undefined && !Number.isFinite(asOf)) return misuse(`--exported-at takes an ISO 8601 time (2026-12-01T08:00:00Z) or seconds since the epoch, not ${exportedAt}`);
  const report = opt('--report');
  if (has('--resume') && !report) return misuse('--resume needs --report (the report is the checkpoint)');
  if (!env.MONGO_URI) {
    err.write("MONGO_URI is not set: it must name LibreChat's database.\n");
    return 2;
  }

  let config: ShinegoldConfig;
  let fieldMap: FieldMap | undefined;
  try {
    config = loadConfig(readSection(configPath(env)), { env });
    if (fromMongo) {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(opt('--fields')!, 'utf8'));
      } catch (e) {
        throw new ConfigError([`The field map ${opt('--fields')} cannot be read as JSON (${(e as Error).message}).`]);
      }
      fieldMap = validateFieldMap(raw, config);
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      err.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }

  const dryRun = has('--dry-run');
  const resume = has('--resume');
  const skipLines = report && resume ? await reportedLines(report) : new Set<number>();
  const writer = report ? openReport(report, resume) : undefined;

  const mongoose = (await import('mongoose')).default;
  const dataSchemas = await import('@librechat/data-schemas');
  const { createShinegoldSSO } = await import('../index');
  const m = new mongoose.Mongoose();
  await m.connect(env.MONGO_URI, { autoIndex: false, serverSelectionTimeoutMS: 10_000, monitorCommands: true });
  const writes = countWrites(m.connection.getClient());
  const progressState: SourceProgress = { done: 0 };
  let source: { rows: AsyncIterable<Row>; close(): Promise<void> } | undefined;
  const audit = loggerSink({ info: (l) => err.write(`${l}\n`), warn: (l) => err.write(`${l}\n`), error: (l) => err.write(`${l}\n`) });
  try {
    const sso = createShinegoldSSO({ config, mongoose: m, dataSchemas: dataSchemas as any, audit: () => undefined });
    if (!dryRun) {
      const idx = await sso.store.ensureIndexes();
      if (!idx.ok) throw new Error(`indexes missing: ${idx.missing.join(', ')}`);
    }
    if (fromMongo) {
      source = await openMongoSource(m, { uri: fromMongo, collection: opt('--collection')!, map: fieldMap!, config, batchSize, progress: progressState });
    } else {
      progressState.total = statSync(file!).size;
      source = { rows: readRows(file!, format, { progress: progressState, config, maxRowBytes }), close: async () => undefined };
    }

    // Columns the import does not use: said once each (or, with --strict, the row is invalid).
    const columns = unknownColumns(config, { strict: has('--strict'), warn: (m) => err.write(`${printable(m)}\n`) });
    const rows = source.rows;
    const checked = (async function* () {
      for await (const row of rows) yield columns(row);
    })();
    const progress = createProgress(err, progressState);
    const onResults = (results: ImportResult[]) => {
      writer?.append(results);
      if (!report) for (const r of results) if (!['created', 'unchanged', 'updated'].includes(r.status)) err.write(`line ${r.line}: ${r.status} ${printable(r.reason ?? '')}\n`);
      progress.add(results.length);
    };
    let summary: ImportSummary;
    if (has('--per-row')) {
      summary = await runImport(checked, { config, store: sso.store, provisioner: sso.provisioner, dryRun, skipLines, concurrency, asOf }, (r) => onResults([r]));
    } else {
      summary = await runBatchedImport(checked, { config, store: sso.store, provisioner: sso.provisioner, dryRun, skipLines, batchSize, updateChunk, asOf }, onResults);
    }
    progress.done();

    const c = summary.counts;
    const refused = c.conflict + c.invalid + c.error;
    const rate = summary.rows / Math.max(summary.seconds, 0.001);
    out.write(
      `${dryRun ? 'dry run: ' : ''}${summary.rows} rows in ${summary.seconds.toFixed(1)} s (${rate.toFixed(0)} rows/s): created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, linked ${c.linked}, conflict ${c.conflict}, invalid ${c.invalid}, error ${c.error}${skipLines.size ? ` (skipped ${skipLines.size} already reported)` : ''}; ${writes.documents} document${writes.documents === 1 ? '' : 's'} written\n`,
    );
    audit({
      event: 'import.run',
      outcome: c.error ? 'error' : refused ? 'failure' : 'success',
      detail: { source: fromMongo ? 'mongo' : format, dryRun, rows: summary.rows, seconds: summary.seconds, counts: c, skipped: skipLines.size, writes: writes.documents, writeCommands: writes.commands },
    });
    return refused > 0 ? 1 : 0;
  } finally {
    writes.stop();
    await source?.close().catch(() => undefined);
    await m.disconnect();
  }
}
