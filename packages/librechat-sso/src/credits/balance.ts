import type { Types } from 'mongoose';
import { SsoUnavailable } from '../errors';
import { isDuplicateKey } from '../store/constants';
import type { Store } from '../store/models';
import { CreditsState, Decision, OPS_KEPT, STATE_FIELDS, stateOf } from './rules';

/**
 * Writes to LibreChat's balance (data-schemas `Balance`: `user`, `tokenCredits`, auto-refill
 * fields) that never lose one of LibreChat's own debits, whatever runs at the same time:
 *
 * - LibreChat debits by compare-and-set (v0.8.7 `updateBalance`: read `tokenCredits`, write the
 *   new value only where `tokenCredits` still is what it read, retry otherwise); other code may
 *   `$inc`. Both are single-document atomic writes.
 * - A grant is one `$inc`: it commutes with every other write.
 * - A set is a compare-and-set on `tokenCredits` too (the $inc of the difference, computed
 *   atomically): written only where the balance still is the value the difference was taken
 *   from; a debit that lands in between makes it read again. So every debit is either before the
 *   set (the set replaces the balance it was taken from: that is what a set means) or after it
 *   (applied to the new balance); none is lost, and the set's `delta` says what it added.
 *
 * What the sync last applied (rules.ts `CreditsState`) is written in the same write, on the
 * same document, so the balance and the record of what set it can never disagree. The writes
 * go through the driver's collection: the fields are ours, LibreChat's schema does not list
 * them (LibreChat's own writes `$set` named fields and leave them alone).
 *
 * One balance document per user: the oldest if LibreChat made several, created with
 * `_id = user id` when there is none (as data-schemas does), so two replicas creating it at once
 * make one. LibreChat's start balance is then not added (LibreChat adds it only to a user
 * without a balance document): the main site's points are the balance.
 */
export interface BalanceOutcome {
  applied: boolean;
  /** Why not, when not applied. */
  why?: Exclude<Decision, { apply: true }>['why'];
  /** tokenCredits after. */
  balance: number;
  /** What this write added to tokenCredits (0 when not applied). */
  delta: number;
}

const MAX_ATTEMPTS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createBalances(store: Store) {
  const { Balance } = store;
  // The driver's collection, loosely typed: our fields are not in LibreChat's schema.
  const coll = () => Balance.collection as unknown as import('mongodb').Collection<Record<string, any>>;
  const oid = (id: string | Types.ObjectId) => (typeof id === 'string' ? new store.mongoose.Types.ObjectId(id) : id);

  /** The user's balance document (the oldest), or undefined. */
  async function read(userId: string | Types.ObjectId): Promise<Record<string, any> | undefined> {
    const doc = await coll().find({ user: oid(userId) }).sort({ _id: 1 }).limit(1).next();
    return doc ?? undefined;
  }

  /** The user's balance document, created empty (tokenCredits 0, LibreChat's defaults) if there is none. */
  async function ensure(userId: string | Types.ObjectId): Promise<Record<string, any>> {
    for (let i = 0; i < 3; i++) {
      const doc = await read(userId);
      if (doc) return doc;
      try {
        await Balance.create({ _id: oid(userId), user: oid(userId), tokenCredits: 0 });
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
    }
    const doc = await read(userId);
    if (!doc) throw new SsoUnavailable('SG_DB_UNAVAILABLE', undefined, { reason: 'the balance document could not be created' });
    return doc;
  }

  /**
   * Sets tokenCredits to `target` by compare-and-set, when `decide` allows it on the state read,
   * with `guard` (the decision's database twin) in the filter and `state` written alongside.
   */
  async function set(
    userId: string | Types.ObjectId,
    target: number,
    decide: (s: CreditsState) => Decision,
    guard: Record<string, unknown>,
    state: Partial<Record<keyof CreditsState, unknown>>,
    opId?: string,
  ): Promise<BalanceOutcome> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const doc = await ensure(userId);
      const current = typeof doc.tokenCredits === 'number' ? doc.tokenCredits : 0;
      const d = decide(stateOf(doc));
      if (!d.apply) return { applied: false, why: d.why, balance: current, delta: 0 };
      const $set: Record<string, unknown> = { tokenCredits: target };
      for (const [k, v] of Object.entries(state)) $set[STATE_FIELDS[k as keyof CreditsState]] = v;
      const update: Record<string, unknown> = { $set };
      if (opId) update.$push = { [STATE_FIELDS.ops]: { $each: [opId], $slice: -OPS_KEPT } };
      const r = await coll().updateOne({ _id: doc._id, tokenCredits: doc.tokenCredits ?? null, ...guard }, update);
      if (r.matchedCount === 1) return { applied: true, balance: target, delta: target - current };
      // A debit (or another set) moved the balance, or the state changed: read again.
      if (attempt > 2) await sleep(Math.min(2 ** attempt, 50) * Math.random());
    }
    throw new SsoUnavailable('SG_DB_UNAVAILABLE', undefined, { reason: 'the balance kept changing; retry' });
  }

  /** Adds `amount` to tokenCredits once per `opId`, when `decide` allows it (one `$inc`). */
  async function grant(
    userId: string | Types.ObjectId,
    amount: number,
    decide: (s: CreditsState) => Decision,
    guard: Record<string, unknown>,
    at: number,
    opId: string,
  ): Promise<BalanceOutcome> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const doc = await ensure(userId);
      const d = decide(stateOf(doc));
      if (!d.apply) return { applied: false, why: d.why, balance: doc.tokenCredits ?? 0, delta: 0 };
      const after = await coll().findOneAndUpdate(
        { _id: doc._id, ...guard },
        { $inc: { tokenCredits: amount }, $max: { [STATE_FIELDS.grantAt]: at }, $push: { [STATE_FIELDS.ops]: { $each: [opId], $slice: -OPS_KEPT } } } as Record<string, unknown>,
        { returnDocument: 'after' },
      );
      if (after) return { applied: true, balance: after.tokenCredits, delta: amount };
      // Another replica applied this key meanwhile, or a later set arrived: the next read says which.
    }
    throw new SsoUnavailable('SG_DB_UNAVAILABLE', undefined, { reason: 'the balance kept changing; retry' });
  }

  return { read, ensure, set, grant };
}

export type Balances = ReturnType<typeof createBalances>;
