/**
 * Telling chat that a main-site user changed: `sendLifecycleEvent` signs a short-lived
 * lifecycle token (the same key, issuer and audience as the login token; a fresh jti per call,
 * so a retry is a new call) and POSTs it to chat's `/api/auth/sso/lifecycle`.
 *
 * @example (NestJS / Express), after the change is committed on the main site:
 *   await sendLifecycleEvent(kitOptions, { event: 'user.updated', user });   // profile, role, email
 *   await sendLifecycleEvent(kitOptions, { event: 'user.banned', userId: user.id });
 *   const plan = await sendLifecycleEvent(kitOptions, { event: 'user.deleted', userId, dryRun: true });
 *
 * Credits (chat's `credits:` section, docs/credits.md): a grant adds to the person's LibreChat
 * balance once per idempotency key (retry with the same key: never granted twice); a set is
 * the balance. Amounts in points (chat's creditsPerPoint applies) or in LibreChat token credits.
 *   await sendLifecycleEvent(kitOptions, { event: 'credits.granted', userId, key: `order-${order.id}`, points: 50 });
 *   await sendLifecycleEvent(kitOptions, { event: 'credits.set', userId, points: user.points });
 */
import { randomUUID } from 'node:crypto';
import { profileClaims } from './claims';
import { postToken } from './post';
import { inTwoMinutes, signer } from './sign';
import type { KitOptions, MainSiteUser } from './types';

export type LifecycleEventName = 'user.updated' | 'user.banned' | 'user.unbanned' | 'user.deleted' | 'credits.granted' | 'credits.set';

/** An amount: points (chat multiplies by creditsPerPoint) or LibreChat token credits (1,000 = $0.001). */
export type CreditsAmount = { points: number; tokenCredits?: undefined } | { tokenCredits: number; points?: undefined };

export type LifecycleEvent =
  | { event: 'user.updated'; user: MainSiteUser; dryRun?: boolean }
  | { event: 'user.banned' | 'user.unbanned' | 'user.deleted'; userId: string; dryRun?: boolean }
  | ({ event: 'credits.granted'; userId: string; /** The idempotency key: one per grant, the same on every retry. */ key: string; dryRun?: boolean } & CreditsAmount)
  | ({ event: 'credits.set'; userId: string; key?: string; dryRun?: boolean } & CreditsAmount);

/** Chat's answer: 200 `{ ok: true, event, result, changed }`, else `{ ok: false, error, code }`. */
export interface LifecycleReply {
  status: number;
  ok: boolean;
  event?: LifecycleEventName;
  result?: string;
  changed?: boolean;
  dryRun?: boolean;
  fields?: string[];
  sessions?: number;
  note?: string;
  /** Credits events and user.updated with points: what the balance did. */
  credits?: { result: 'set' | 'granted' | 'unchanged'; changed: boolean; balance: number; delta: number; note?: string };
  error?: string;
  code?: string;
}

function creditsClaim(e: LifecycleEvent): Record<string, unknown> {
  if (e.event !== 'credits.granted' && e.event !== 'credits.set') return {};
  if (e.event === 'credits.granted' && (typeof e.key !== 'string' || e.key === '')) throw new TypeError('credits.granted: key (the idempotency key) is required');
  const amount = e.points !== undefined ? { points: e.points } : { tokenCredits: e.tokenCredits };
  if (typeof Object.values(amount)[0] !== 'number') throw new TypeError(`${e.event}: give points or tokenCredits`);
  return { credits: { ...(e.key !== undefined ? { key: e.key } : {}), ...amount } };
}

/** Signs the lifecycle token (valid 2 minutes). */
export function signLifecycleToken(opts: KitOptions, e: LifecycleEvent): Promise<string> {
  const sign = signer(opts);
  const sub = e.event === 'user.updated' ? e.user.id : e.userId;
  const credits = creditsClaim(e);
  if (typeof sub !== 'string' || sub === '') throw new TypeError('signLifecycleToken: the user id is required');
  return sign(
    {
      sub,
      jti: randomUUID(),
      event: e.event,
      ...(e.event === 'user.updated' ? { user: profileClaims(e.user) } : {}),
      ...credits,
      ...(e.dryRun ? { dry_run: true } : {}),
    },
    inTwoMinutes(),
  );
}

/**
 * Signs and POSTs one event. Resolves with chat's answer (never throws on a 4xx/5xx; a network
 * failure rejects). Retry a 503 (a new call gets a new jti); a 400 or 409 will not get better.
 */
export async function sendLifecycleEvent(opts: KitOptions, e: LifecycleEvent): Promise<LifecycleReply> {
  const token = await signLifecycleToken(opts, e);
  const r = await postToken(opts, '/api/auth/sso/lifecycle', 'lifecycle_token', token);
  let body: Record<string, unknown> = {};
  try {
    body = (await r.json()) as Record<string, unknown>;
  } catch {
    body = { ok: false, error: 'unreadable answer' };
  }
  return { ...(body as Omit<LifecycleReply, 'status'>), ok: body.ok === true && r.status === 200, status: r.status };
}
