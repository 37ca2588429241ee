import { notNewerThan } from '../identity/ordering';

/**
 * When points become balance: the decisions, pure, with their database twins (filters the
 * conditional writes carry, so a decision read from one document state is only written while
 * the document still is in that state). Written out in docs/credits.md ("When").
 *
 * What the credits sync last applied lives on LibreChat's balance document, next to the balance
 * (`CreditsState`, credits/balance.ts). Times are seconds on the main site's clock:
 *
 * - A login token with points P, issued at `iat`, sets the balance to P x creditsPerPoint when
 *   P differs from the points last applied, the token is not older than the login token that
 *   applied them (`loginAt`), and it was issued after every credits event (a set or a grant by
 *   lifecycle call) with the clock tolerance counted against the token, as in the ordering rule
 *   (identity/ordering.ts): `iat - tolerance > setAt, grantAt`.
 * - A set by the main site (`credits.set`, or points in a `user.updated`) at `at` changes nothing
 *   when an event of the credits kind signed later was applied already (`setAt`, `grantAt`),
 *   or a login token signed later than `at + tolerance` applied its points.
 * - A grant at `at` is added unless a set signed later was applied (that set counted it), or a
 *   login token signed later than `at + tolerance` applied its points. Grants never make each
 *   other stale: two grants are two purchases, in whatever order they arrive. Its idempotency
 *   key is applied at most once (`ops`).
 */
export interface CreditsState {
  /** The points last applied (by a login or an event). */
  points?: number | null;
  /** The `iat` of the login token that last applied its points. */
  loginAt?: number | null;
  /** The `iat` of the last set by lifecycle call. */
  setAt?: number | null;
  /** The latest `iat` of a grant applied. */
  grantAt?: number | null;
  /** The idempotency keys (provider:key) of the latest operations applied, newest last. */
  ops?: readonly string[] | null;
}

/** Operation keys kept on the balance document (the operations collection keeps them all). */
export const OPS_KEPT = 100;

/** The balance document's fields that hold `CreditsState`. */
export const STATE_FIELDS = {
  points: 'shinegoldPoints',
  loginAt: 'shinegoldLoginAt',
  setAt: 'shinegoldSetAt',
  grantAt: 'shinegoldGrantAt',
  ops: 'shinegoldOps',
} as const;

export type Decision = { apply: true } | { apply: false; why: 'unchanged' | 'older token' | 'stale' | 'duplicate' };

const num = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** LibreChat token credits for points (1,000 credits = $0.001); whole credits. */
export function creditsFor(points: number, creditsPerPoint: number): number {
  return Math.round(points * creditsPerPoint);
}

export function loginDecision(points: number, iat: number | undefined, toleranceSec: number, s: CreditsState): Decision {
  const t = num(iat) ? iat : 0;
  if (s.points === points) return { apply: false, why: 'unchanged' };
  if (num(s.loginAt) && t < s.loginAt) return { apply: false, why: 'older token' };
  if ((num(s.setAt) && s.setAt >= t - toleranceSec) || (num(s.grantAt) && s.grantAt >= t - toleranceSec)) return { apply: false, why: 'stale' };
  return { apply: true };
}

export function setDecision(at: number, toleranceSec: number, s: CreditsState, opId?: string): Decision {
  if (opId && (s.ops ?? []).includes(opId)) return { apply: false, why: 'duplicate' };
  if ((num(s.setAt) && s.setAt > at) || (num(s.grantAt) && s.grantAt > at) || (num(s.loginAt) && s.loginAt > at + toleranceSec)) return { apply: false, why: 'stale' };
  return { apply: true };
}

export function grantDecision(at: number, toleranceSec: number, s: CreditsState, opId: string): Decision {
  if ((s.ops ?? []).includes(opId)) return { apply: false, why: 'duplicate' };
  if ((num(s.setAt) && s.setAt > at) || (num(s.loginAt) && s.loginAt > at + toleranceSec)) return { apply: false, why: 'stale' };
  return { apply: true };
}

// ---- the database twins: filters on the balance document ----

const F = STATE_FIELDS;
/** Matches while `field` is absent, null, or below `limit`. */
const below = (field: string, limit: number) => ({ $or: [{ [field]: { $exists: false } }, { [field]: null }, { [field]: { $lt: limit } }] });

export function loginFilter(points: number, iat: number | undefined, toleranceSec: number): Record<string, unknown> {
  const t = num(iat) ? iat : 0;
  return { $and: [{ [F.points]: { $ne: points } }, notNewerThan(F.loginAt, t), below(F.setAt, t - toleranceSec), below(F.grantAt, t - toleranceSec)] };
}

export function setFilter(at: number, toleranceSec: number, opId?: string): Record<string, unknown> {
  return { $and: [...(opId ? [{ [F.ops]: { $ne: opId } }] : []), notNewerThan(F.setAt, at), notNewerThan(F.grantAt, at), notNewerThan(F.loginAt, at + toleranceSec)] };
}

export function grantFilter(at: number, toleranceSec: number, opId: string): Record<string, unknown> {
  return { $and: [{ [F.ops]: { $ne: opId } }, notNewerThan(F.setAt, at), notNewerThan(F.loginAt, at + toleranceSec)] };
}

/** The state as read from a balance document. */
export function stateOf(doc: Record<string, any> | null | undefined): CreditsState {
  if (!doc) return {};
  return { points: doc[F.points], loginAt: doc[F.loginAt], setAt: doc[F.setAt], grantAt: doc[F.grantAt], ops: doc[F.ops] };
}
