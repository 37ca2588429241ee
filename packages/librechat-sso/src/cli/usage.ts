import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { configPath, loadConfig, readSection } from '../config/load';
import { csvHeader, csvLine, jsonLine, usageRows } from '../credits/usage';
import { MAX_PERIOD_SEC } from '../credits/usage-request';
import { ConfigError } from '../errors';
import { accountOf } from '../identity/account';

export const USAGE_USAGE = `usage: shinegold-sso usage --since <date> [--until <date>] [--user <main-site id>] [--provider <name>] [--format csv|jsonl]
  dates as ISO 8601 (2026-11-01 or 2026-11-01T12:00:00Z); the period is [since, until), until defaults to now, at most 366 days`;

const OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  user: { type: 'string' },
  provider: { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `shinegold-sso usage`: what people spent over a period, per person and model, from
 * LibreChat's own ledger (MONGO_URI), as the main site's usage endpoint answers it (the same
 * rows, credits/usage.ts), streamed to stdout: CSV with a header, or one JSON object a line.
 * People are named by the provider's ids (default: the primary provider). Read only.
 * Exit 0 done, 2 misuse or no database.
 */
export async function usageCommand(args: string[], env = process.env, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const misuse = (msg: string) => {
    err.write(`${msg}\n${USAGE_USAGE}\n`);
    return 2;
  };
  let values: { since?: string; until?: string; user?: string; provider?: string; format?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    return misuse(`usage: ${(e as Error).message}`);
  }
  if (values.help) {
    out.write(`${USAGE_USAGE}\n`);
    return 0;
  }
  const date = (s: string | undefined) => (s === undefined ? undefined : /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)) ? new Date(s) : null);
  const since = date(values.since);
  const until = date(values.until) ?? (values.until === undefined ? new Date() : null);
  if (!since) return misuse(values.since === undefined ? '--since is required' : `--since ${values.since} is not an ISO date`);
  if (!until) return misuse(`--until ${values.until} is not an ISO date`);
  if (until <= since) return misuse('--until must be after --since');
  if ((until.getTime() - since.getTime()) / 1000 > MAX_PERIOD_SEC) return misuse('the period is longer than 366 days; ask per year');
  const format = values.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl') return misuse('--format must be csv or jsonl');
  if (!env.MONGO_URI) {
    err.write("MONGO_URI is not set: it must name LibreChat's database.\n");
    return 2;
  }
  let provider: string;
  let primary: boolean;
  try {
    const config = loadConfig(readSection(configPath(env)), { env });
    const p = values.provider ? config.providers.find((x) => x.name === values.provider) : config.providers.find((x) => x.primary);
    if (!p) return misuse(`no provider named ${values.provider}`);
    provider = p.name;
    primary = p.primary;
  } catch (e) {
    if (e instanceof ConfigError) {
      err.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }

  const mongoose = (await import('mongoose')).default;
  const dataSchemas = await import('@librechat/data-schemas');
  const { createStore } = await import('../store/models');
  const m = new mongoose.Mongoose();
  await m.connect(env.MONGO_URI, { autoIndex: false, serverSelectionTimeoutMS: 10_000 });
  try {
    const store = createStore(m, dataSchemas as any);
    let userId: string | undefined;
    if (values.user !== undefined) {
      // The person's account as a login would find it (read only: nothing is linked here).
      const { user } = await accountOf(store, { provider, externalId: values.user, primary }, { link: false });
      if (!user) {
        err.write(`chat has no account for ${provider} user ${values.user}: no rows.\n`);
        if (format === 'csv') out.write(csvHeader());
        return 0;
      }
      userId = String(user._id);
    }
    const write = async (s: string) => {
      if (!out.write(s)) await once(out, 'drain');
    };
    if (format === 'csv') await write(csvHeader());
    let rows = 0;
    for await (const r of usageRows(store, { since, until, provider, primary, ...(userId ? { userId } : {}) })) {
      rows++;
      await write(format === 'csv' ? csvLine(r) : jsonLine(r));
    }
    err.write(`${rows} row(s), ${since.toISOString()} to ${until.toISOString()}\n`);
    return 0;
  } finally {
    await m.disconnect();
  }
}
