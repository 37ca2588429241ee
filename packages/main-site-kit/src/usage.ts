/**
 * Reading spend back from chat: `fetchUsage` signs a short-lived usage token (the same key,
 * issuer and audience as the login token; a fresh jti per call, accepted once) and POSTs it to
 * chat's `/api/auth/sso/usage`. Chat streams one row per person and model over the period:
 * tokens in and out and the LibreChat token credits they cost (1,000 credits = $0.001).
 *
 * @example (a nightly job on the main site)
 *   const usage = await fetchUsage(kitOptions, { since: new Date('2026-11-01'), until: new Date('2026-12-01') });
 *   if (!usage.ok) throw new Error(`chat said ${usage.status} ${usage.code}`);
 *   for await (const row of usage.rows) await billing.record(row.sub, row.model, row.tokenCredits);
 *   // one person: fetchUsage(kitOptions, { userId: user.id, since });   CSV: { format: 'csv' } and read usage.text()
 */
import { randomUUID } from 'node:crypto';
import { postToken } from './post';
import { inTwoMinutes, signer } from './sign';
import type { KitOptions } from './types';

export interface UsageQuery {
  since: Date;
  /** Default: now. The period is [since, until), at most 366 days. */
  until?: Date;
  /** One person's main-site id; absent: everyone. */
  userId?: string;
  format?: 'ndjson' | 'csv';
}

export interface UsageRow {
  /** The main-site id; null for a chat account the main site has no id for. */
  sub: string | null;
  userId: string;
  model: string | null;
  promptTokens: number;
  completionTokens: number;
  tokenCredits: number;
  transactions: number;
}

export interface UsageReply {
  status: number;
  ok: boolean;
  code?: string;
  /** NDJSON: the rows as they arrive. Rejects if the stream was cut (no end line). */
  rows: AsyncIterable<UsageRow>;
  /** The whole body as text (CSV). */
  text(): Promise<string>;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

export function signUsageToken(opts: KitOptions, q: UsageQuery): Promise<string> {
  const sign = signer(opts);
  if (!(q.since instanceof Date) || Number.isNaN(q.since.getTime())) throw new TypeError('fetchUsage: since must be a Date');
  const usage = { since: seconds(q.since), ...(q.until ? { until: seconds(q.until) } : {}), ...(q.userId ? {} : { all: true }), ...(q.format ? { format: q.format } : {}) };
  return sign({ ...(q.userId ? { sub: q.userId } : {}), jti: randomUUID(), event: 'usage.read', usage }, inTwoMinutes());
}

async function* ndjson(body: ReadableStream<Uint8Array> | null): AsyncGenerator<UsageRow> {
  if (!body) throw new Error('fetchUsage: the answer has no body');
  const decoder = new TextDecoder();
  let buf = '';
  let ended = false;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const o = JSON.parse(line);
      if (o.end === true) ended = true;
      else if (o.error) throw new Error(`fetchUsage: chat cut the stream after ${o.rows} rows (${o.code}); ask again`);
      else yield o as UsageRow;
    }
  }
  if (!ended) throw new Error('fetchUsage: the stream ended without its end line (cut); ask again');
}

/** Signs and POSTs one usage request. Never throws on a 4xx/5xx (see `ok`, `code`); a network failure rejects. */
export async function fetchUsage(opts: KitOptions, q: UsageQuery): Promise<UsageReply> {
  const token = await signUsageToken(opts, q);
  const r = await postToken(opts, '/api/auth/sso/usage', 'usage_token', token);
  if (r.status !== 200) {
    let body: Record<string, unknown> = {};
    try {
      body = (await r.json()) as Record<string, unknown>;
    } catch {
      body = {};
    }
    const none = (async function* () {})();
    return { status: r.status, ok: false, code: typeof body.code === 'string' ? body.code : undefined, rows: none, text: async () => JSON.stringify(body) };
  }
  return { status: 200, ok: true, rows: { [Symbol.asyncIterator]: () => ndjson(r.body) }, text: () => r.text() };
}
