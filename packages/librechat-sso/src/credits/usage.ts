import type { Types } from 'mongoose';
import type { Store } from '../store/models';

/**
 * Spend read back: what people spent over a period, from LibreChat's own token ledger (the
 * `Transaction` collection data-schemas writes for every prompt and completion), per person and
 * model: tokens in and out, and the token credits they cost (1,000 credits = $0.001).
 *
 * One query ($match on createdAt, which LibreChat's timestamps set, sorted by person and
 * model) read through a cursor and summed as it goes, so any period streams with a small heap:
 * rows leave as they come. The person is named by the main site's id, looked up a batch of rows
 * at a time: the mapping row's of the provider asked for, else, for the primary provider, the id
 * the account carries. Accounts the main site has no id for (LibreChat's own local accounts,
 * another provider's people) come with `sub: null` when everyone is asked for.
 */
export interface UsageQuery {
  since: Date;
  until: Date;
  /** The provider whose ids name people (the one whose key signed the request). */
  provider: string;
  /** One person (a LibreChat user id), or everyone. */
  userId?: string | Types.ObjectId;
  /**
   * The provider is the primary one: its people also carry their id on the user
   * (`shinegoldUserId`), so an account with no mapping row naming it (identity/account.ts) is
   * still named.
   */
  primary?: boolean;
}

export interface UsageRow {
  /** The main-site id, or null for an account the provider has no id for. */
  sub: string | null;
  userId: string;
  model: string | null;
  promptTokens: number;
  completionTokens: number;
  /** Token credits spent (positive: what the balance lost). */
  tokenCredits: number;
  /** Ledger entries counted. */
  transactions: number;
}

export const USAGE_COLUMNS: ReadonlyArray<keyof UsageRow> = ['sub', 'userId', 'model', 'promptTokens', 'completionTokens', 'tokenCredits', 'transactions'];

const SPEND_TYPES = ['prompt', 'completion'];
const BATCH = 200;
/** Sums of many fractional rates: kept to the micro-credit, as LibreChat's rates are. */
const tidy = (n: number) => Math.round(n * 1e6) / 1e6 + 0;

export async function* usageRows(store: Store, q: UsageQuery): AsyncGenerator<UsageRow> {
  const match: Record<string, unknown> = { createdAt: { $gte: q.since, $lt: q.until }, tokenType: { $in: SPEND_TYPES } };
  if (q.userId) match.user = typeof q.userId === 'string' ? new store.mongoose.Types.ObjectId(q.userId) : q.userId;
  // A sorted find, summed here: the same on MongoDB and the FerretDB tests run on (whose $group
  // computes one accumulator only). The server sorts (on disk if it must); rows stream out.
  const cursor = store.Transaction.collection
    .find(match, { projection: { _id: 0, user: 1, model: 1, tokenType: 1, rawAmount: 1, tokenValue: 1 }, allowDiskUse: true, batchSize: 1000 })
    .sort({ user: 1, model: 1 });
  let pending: UsageRow[] = [];
  let current: UsageRow | undefined;
  const flush = async function* () {
    const ids = [...new Set(pending.map((r) => r.userId))];
    const rows = await store.Identity.find({ provider: q.provider, userId: { $in: ids } }).select('externalId userId').lean();
    const subs = new Map(rows.map((r) => [String(r.userId), r.externalId]));
    const unnamed = ids.filter((id) => !subs.has(id));
    if (q.primary && unnamed.length) {
      for (const u of await store.User.find({ _id: { $in: unnamed } }).select('shinegoldUserId').lean<Array<{ _id: unknown; shinegoldUserId?: unknown }>>()) {
        if (typeof u.shinegoldUserId === 'string') subs.set(String(u._id), u.shinegoldUserId);
      }
    }
    for (const r of pending) yield { ...r, sub: subs.get(r.userId) ?? null, promptTokens: tidy(r.promptTokens), completionTokens: tidy(r.completionTokens), tokenCredits: tidy(r.tokenCredits) };
    pending = [];
  };
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  try {
    for await (const t of cursor) {
      const userId = String(t.user);
      const model = typeof t.model === 'string' ? t.model : null;
      if (!current || current.userId !== userId || current.model !== model) {
        if (current) pending.push(current);
        if (pending.length >= BATCH) yield* flush();
        current = { sub: null, userId, model, promptTokens: 0, completionTokens: 0, tokenCredits: 0, transactions: 0 };
      }
      // LibreChat records spend as negative amounts (rawAmount: -tokens, tokenValue: -credits).
      if (t.tokenType === 'prompt') current.promptTokens += -n(t.rawAmount);
      else current.completionTokens += -n(t.rawAmount);
      current.tokenCredits += -n(t.tokenValue);
      current.transactions += 1;
    }
    if (current) pending.push(current);
    if (pending.length) yield* flush();
  } finally {
    await cursor.close().catch(() => undefined);
  }
}

/** A CSV field: quoted when it holds a comma, quote or line break; a leading = + - @ is defused. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvHeader = () => `${USAGE_COLUMNS.join(',')}\n`;
export const csvLine = (r: UsageRow) => `${USAGE_COLUMNS.map((c) => csvField(r[c])).join(',')}\n`;
export const jsonLine = (r: UsageRow) => `${JSON.stringify(r)}\n`;
