import type { Types } from 'mongoose';
import type { ShinegoldConfig } from '../config/schema';
import { SsoRefusal } from '../errors';
import { BoundedCache } from '../identity/cache';
import { isDuplicateKey } from '../store/constants';
import type { CreditOpDoc, Store } from '../store/models';
import { BalanceOutcome, createBalances } from './balance';
import { creditsFor, grantDecision, grantFilter, loginDecision, loginFilter, setDecision, setFilter, stateOf } from './rules';

/**
 * Points become LibreChat balance (docs/credits.md). Three ways in, one set of rules (rules.ts),
 * one kind of write (balance.ts):
 * - a login whose token carries the points claim (`credits.claim`) sets the balance to
 *   points x `creditsPerPoint` when the points changed since last applied;
 * - a lifecycle `credits.set` (or points in a `user.updated`) sets it, by the main site's word;
 * - a lifecycle `credits.granted` adds to it, once per idempotency key, on any replica.
 *
 * An operation with a key is recorded in `shinegold_credit_ops` first (its _id is the key: a
 * second replica's insert fails), then applied to the balance with the key written into the
 * balance document in the same write, then marked applied. A call that dies half-way is
 * finished by the main site's retry (the balance write refuses a key it already holds), so a
 * retried grant is never applied twice and never lost.
 *
 * Every lifecycle set or grant that moved the balance is also entered in LibreChat's own ledger,
 * as LibreChat enters an admin's `add-balance` and its auto-refill: a `Transaction` with
 * `tokenType: 'credits'`, `rawAmount` = `tokenValue` = what the write added (negative for a set
 * that lowered it), `context` `shinegold.set` or `shinegold.grant` (`enter`). A login's points
 * are not entered: a login that applies them costs one write (docs/benchmarks.md), and the
 * balance document records them. The entry is written after the balance: a process that dies
 * between the two leaves the balance right and the entry missing (the op and the audit line
 * still record it).
 */
export type CreditsResult = 'set' | 'granted' | 'unchanged';

export interface CreditsOutcome {
  result: CreditsResult;
  changed: boolean;
  /** tokenCredits after (or now, when unchanged). */
  balance: number;
  /** What was added to tokenCredits (a set: the difference it made). */
  delta: number;
  note?: string;
}

export interface CreditsRequest {
  /** LibreChat token credits: the balance to set, or the amount to grant. */
  tokenCredits: number;
  /** Points, when the amount came from points (recorded as the points last applied). */
  points?: number;
  /** The signed call's iat. */
  at: number;
  /** The idempotency key, as the main site sent it; required for a grant. */
  key?: string;
  provider: string;
  dryRun?: boolean;
}

const NOTES = {
  stale: 'the main site sent a later credits event (or a later login applied its points) already; this older one changes nothing',
  duplicate: 'this idempotency key was applied already; nothing was added again',
  unchanged: 'the points are the ones applied already',
  'older token': 'a newer login token applied its points already',
} as const;

export function createCredits(store: Store, config: ShinegoldConfig, opts: { cache?: { max?: number; ttlMs?: number } } = {}) {
  const balances = createBalances(store);
  const { CreditOp } = store;
  const rate = () => config.credits?.creditsPerPoint ?? 1;
  const tolerance = (provider: string) => config.providers.find((p) => p.name === provider)?.clockToleranceSec ?? 0;
  /** userId -> the points this process saw applied: an unchanged login then reads nothing. */
  const seen = new BoundedCache<string, number>(opts.cache?.max ?? 10_000, opts.cache?.ttlMs ?? 60_000);

  const { Transaction } = store;
  /** The ledger entry of a write that moved the balance (above). */
  async function enter(userId: string | Types.ObjectId, r: BalanceOutcome, context: 'shinegold.set' | 'shinegold.grant'): Promise<void> {
    if (!r.applied || r.delta === 0) return;
    await Transaction.create({ user: userId, tokenType: 'credits', context, rawAmount: r.delta, tokenValue: r.delta, rate: 1 });
  }

  const outcome = (kind: 'set' | 'granted', r: BalanceOutcome): CreditsOutcome =>
    r.applied ? { result: kind, changed: true, balance: r.balance, delta: r.delta } : { result: 'unchanged', changed: false, balance: r.balance, delta: 0, note: NOTES[r.why!] };

  /**
   * A login's points: applied when changed (rules.ts). Returns undefined when nothing was read
   * (no points claim, credits off, or this process saw these points applied).
   */
  async function onLogin(userId: string | Types.ObjectId, points: number | undefined, iat: number | undefined, provider: string): Promise<CreditsOutcome | undefined> {
    if (!config.credits || points === undefined) return undefined;
    const id = String(userId);
    if (seen.get(id) === points) return undefined;
    const tol = tolerance(provider);
    const target = creditsFor(points, rate());
    const r = await balances.set(userId, target, (s) => loginDecision(points, iat, tol, s), loginFilter(points, iat, tol), { points, loginAt: iat ?? 0 });
    if (r.applied || r.why === 'unchanged') seen.set(id, points);
    return outcome('set', r);
  }

  /** Records the key (or finds it); throws when the key was used for something else. */
  async function claimKey(opId: string, doc: Omit<CreditOpDoc, '_id' | 'state'>): Promise<CreditOpDoc | undefined> {
    try {
      await CreditOp.create({ _id: opId, ...doc, state: 'pending' });
      return undefined;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    const existing = await CreditOp.findById(opId).lean<CreditOpDoc>();
    if (!existing) return claimKey(opId, doc);
    if (String(existing.userId) !== String(doc.userId) || existing.kind !== doc.kind || existing.tokenCredits !== doc.tokenCredits) {
      throw new SsoRefusal('SG_CREDITS_KEY_REUSED', { reason: `the key was used for a ${existing.kind} of ${existing.tokenCredits} credits${String(existing.userId) !== String(doc.userId) ? ' to another person' : ''}` });
    }
    return existing;
  }

  async function keyed(kind: 'grant' | 'set', userId: string | Types.ObjectId, req: CreditsRequest, write: (opId: string | undefined) => Promise<BalanceOutcome>): Promise<BalanceOutcome> {
    if (!req.key) {
      const r = await write(undefined);
      await enter(userId, r, 'shinegold.set');
      return r;
    }
    const opId = `${req.provider}:${req.key}`;
    const existing = await claimKey(opId, { userId: userId as Types.ObjectId, kind, tokenCredits: req.tokenCredits, at: req.at });
    if (existing && existing.state !== 'pending') return { applied: false, why: existing.state === 'stale' ? 'stale' : 'duplicate', balance: existing.balance ?? 0, delta: 0 };
    // New, or left pending by a call that died half-way: the balance write decides (it refuses a key it holds).
    const r = await write(opId);
    await enter(userId, r, kind === 'grant' ? 'shinegold.grant' : 'shinegold.set');
    const state = r.applied || r.why === 'duplicate' ? 'applied' : 'stale';
    await CreditOp.updateOne({ _id: opId }, { $set: { state, balance: r.balance } });
    return r;
  }

  /** What a set or grant would do now, writing nothing. */
  async function dry(kind: 'set' | 'granted', userId: string | Types.ObjectId, req: CreditsRequest): Promise<CreditsOutcome> {
    const doc = await balances.read(userId);
    const s = stateOf(doc);
    const opId = req.key ? `${req.provider}:${req.key}` : undefined;
    if (opId) {
      const op = await CreditOp.findById(opId).lean<CreditOpDoc>();
      if (op && op.state !== 'pending') return { result: 'unchanged', changed: false, balance: doc?.tokenCredits ?? 0, delta: 0, note: NOTES[op.state === 'stale' ? 'stale' : 'duplicate'] };
    }
    const tol = tolerance(req.provider);
    const d = kind === 'set' ? setDecision(req.at, tol, s, opId) : grantDecision(req.at, tol, s, opId!);
    const current = doc?.tokenCredits ?? 0;
    if (!d.apply) return { result: 'unchanged', changed: false, balance: current, delta: 0, note: NOTES[d.why] };
    const balance = kind === 'set' ? req.tokenCredits : current + req.tokenCredits;
    return { result: kind, changed: true, balance, delta: balance - current };
  }

  /** An absolute set by the main site (credits.set, or points in user.updated). */
  async function set(userId: string | Types.ObjectId, req: CreditsRequest): Promise<CreditsOutcome> {
    if (req.dryRun) return dry('set', userId, req);
    const tol = tolerance(req.provider);
    seen.delete(String(userId));
    const r = await keyed('set', userId, req, (opId) =>
      balances.set(userId, req.tokenCredits, (s) => setDecision(req.at, tol, s, opId), setFilter(req.at, tol, opId), { setAt: req.at, ...(req.points !== undefined ? { points: req.points } : { points: null }) }, opId),
    );
    return outcome('set', r);
  }

  /** A grant by the main site: added once per key. */
  async function grant(userId: string | Types.ObjectId, req: CreditsRequest): Promise<CreditsOutcome> {
    if (!req.key) throw new TypeError('credits.grant: an idempotency key is required');
    if (req.dryRun) return dry('granted', userId, req);
    const tol = tolerance(req.provider);
    const r = await keyed('grant', userId, req, (opId) => balances.grant(userId, req.tokenCredits, (s) => grantDecision(req.at, tol, s, opId!), grantFilter(req.at, tol, opId!), req.at, opId!));
    return outcome('granted', r);
  }

  return {
    onLogin,
    set,
    grant,
    /** Points to credits at the configured rate. */
    creditsFor: (points: number) => creditsFor(points, rate()),
    balances,
    /**
     * Whether these points are known to be applied for the user (this process saw them applied
     * within the cache's lifetime), so the session bridge may let LibreChat's own refresh run.
     * No points, or credits off: nothing to apply.
     */
    known: (userId: string, points: number | undefined) => !config.credits || points === undefined || seen.get(String(userId)) === points,
    /** Drops what this process remembers of a user's applied points. */
    forget: (userId: string) => seen.delete(String(userId)),
  };
}

export type Credits = ReturnType<typeof createCredits>;
