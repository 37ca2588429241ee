import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { configPath, loadConfig, readSection } from '../config/load';
import { ConfigError } from '../errors';
import { readRows } from '../import/rows';
import { ImportResult, runImport } from '../import/run';

const USAGE = 'usage: shinegold-sso import <file.jsonl|file.csv> [--format jsonl|csv] [--dry-run] [--report out.jsonl] [--resume] [--concurrency N]';

/**
 * `shinegold-sso import`: MONGO_URI names LibreChat's database; librechat.yaml (CONFIG_PATH) and
 * the environment give the same configuration the server uses. The per-row report is JSONL;
 * with --resume, rows already in the report are skipped and new results appended.
 * Exit 0 when every row was imported or unchanged, 1 when some row was refused, 2 on misuse.
 */
export async function importCommand(args: string[], env = process.env, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--dry-run' || a === '--resume') flags.set(a, true);
    else if (a.startsWith('--')) flags.set(a, args[++i] ?? '');
    else positional.push(a);
  }
  const opt = (name: string) => (typeof flags.get(name) === 'string' ? (flags.get(name) as string) : undefined);
  const file = positional[0];
  if (!file || !existsSync(file)) {
    err.write(`${file ? `no such file: ${file}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const format = (opt('--format') ?? (file.endsWith('.csv') ? 'csv' : 'jsonl')) as 'csv' | 'jsonl';
  if (format !== 'csv' && format !== 'jsonl') {
    err.write(`--format must be jsonl or csv\n${USAGE}\n`);
    return 2;
  }
  if (!env.MONGO_URI) {
    err.write('MONGO_URI is not set: it must name LibreChat\'s database.\n');
    return 2;
  }
  let config;
  try {
    config = loadConfig(readSection(configPath(env)), { env });
  } catch (e) {
    if (e instanceof ConfigError) {
      err.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const dryRun = flags.has('--dry-run');
  const report = opt('--report');
  const skipLines = new Set<number>();
  if (report && flags.has('--resume') && existsSync(report)) {
    for (const l of readFileSync(report, 'utf8').split('\n')) if (l.trim()) skipLines.add((JSON.parse(l) as ImportResult).line);
  } else if (report) writeFileSync(report, '');

  const mongoose = (await import('mongoose')).default;
  const dataSchemas = await import('@librechat/data-schemas');
  const { createShinegoldSSO } = await import('../index');
  const m = new mongoose.Mongoose();
  await m.connect(env.MONGO_URI, { autoIndex: false, serverSelectionTimeoutMS: 10_000 });
  try {
    const sso = createShinegoldSSO({ config, mongoose: m, dataSchemas: dataSchemas as any, audit: () => undefined });
    if (!dryRun) {
      const idx = await sso.store.ensureIndexes();
      if (!idx.ok) throw new Error(`indexes missing: ${idx.missing.join(', ')}`);
    }
    const tty = (err as NodeJS.WriteStream).isTTY === true;
    let done = 0;
    const t0 = Date.now();
    const summary = await runImport(
      readRows(file, format),
      { config, store: sso.store, provisioner: sso.provisioner, dryRun, skipLines, concurrency: Number(opt('--concurrency') ?? 8) },
      (r) => {
        if (report) appendFileSync(report, JSON.stringify(r) + '\n');
        if (!report && r.status !== 'created' && r.status !== 'unchanged' && r.status !== 'updated') err.write(`line ${r.line}: ${r.status} ${r.reason ?? ''}\n`);
        done++;
        if (done % 1000 === 0 || tty) {
          const rate = done / Math.max(0.001, (Date.now() - t0) / 1000);
          const line = `${done} rows, ${rate.toFixed(0)} rows/s`;
          err.write(tty ? `\r${line}` : `${line}\n`);
        }
      },
    );
    if (tty) err.write('\n');
    const c = summary.counts;
    err.write(
      `${dryRun ? 'dry run: ' : ''}${summary.rows} rows in ${summary.seconds.toFixed(1)} s: created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, linked ${c.linked}, conflict ${c.conflict}, invalid ${c.invalid}, error ${c.error}${skipLines.size ? ` (skipped ${skipLines.size} already reported)` : ''}\n`,
    );
    return c.conflict + c.invalid + c.error > 0 ? 1 : 0;
  } finally {
    await m.disconnect();
  }
}
