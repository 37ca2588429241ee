import { validateEnvelope } from '../token/envelope';
import type { ProviderConfig } from '../config/schema';
import { SsoRefusal } from '../errors';
import { normalizeSubject } from '../token/subject';

/**
 * The lifecycle call: the main site tells chat that a user changed. It POSTs a signed
 * `lifecycle_token` (same keys as the login token) with:
 *   iss, aud, iat, exp, jti   as for back-channel logout (iat not in the future nor older than
 *                             `maxAgeSec`; exp required; a jti is accepted once);
 *   sub                       the main-site user id (string, or a non-negative integer);
 *   event                     user.updated | user.banned | user.unbanned | user.deleted |
 *                             credits.granted | credits.set;
 *   user                      for user.updated: the profile as login-token claims (email, name,
 *                             picture, roles, extension claims...), read with the same names;
 *   credits                   for credits.granted and credits.set: `{ key, points }` or
 *                             `{ key, tokenCredits }` (exactly one amount; LibreChat token
 *                             credits, 1,000 = $0.001). A grant adds (non-zero, key required);
 *                             a set is the balance (>= 0, key optional). `key` is the main
 *                             site's idempotency key: the operation is applied once, whatever
 *                             the retries (docs/credits.md);
 *   dry_run                   optional `true`: answer what would change, write nothing.
 * `nonce` is refused so an ID token can never pass as a lifecycle call. Pure: no I/O, no clock.
 */
export const LIFECYCLE_EVENTS = ['user.updated', 'user.banned', 'user.unbanned', 'user.deleted', 'credits.granted', 'credits.set'] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

export interface LifecycleCall {
  iss: string;
  /** When the main site signed the call (its clock): the event's time for the ordering rule. */
  iat: number;
  jti: string;
  sub: string;
  event: LifecycleEvent;
  /** The new profile claims (user.updated only; an empty object otherwise). */
  user: Record<string, unknown>;
  /** credits.granted and credits.set only. */
  credits?: CreditsPayload;
  dryRun: boolean;
  /** Seconds: until when the jti must be remembered. */
  expiresAt: number;
}

export interface CreditsPayload {
  key?: string;
  points?: number;
  tokenCredits?: number;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_CREDITS = 1e15;

/** The `credits` claim of a credits event. Pure; throws `bad(reason)`. */
export function validateCreditsPayload(raw: unknown, event: 'credits.granted' | 'credits.set', bad: (reason: string) => SsoRefusal): CreditsPayload {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`${event} without a credits object`);
  const c = raw as Record<string, unknown>;
  const unknown = Object.keys(c).filter((k) => !['key', 'points', 'tokenCredits'].includes(k));
  if (unknown.length) throw bad(`credits has unknown fields: ${unknown.join(', ')}`);
  if (c.key !== undefined && (typeof c.key !== 'string' || c.key.trim() === '' || c.key.length > 200 || CONTROL.test(c.key))) throw bad('credits.key must be a string of 1 to 200 characters');
  if (event === 'credits.granted' && c.key === undefined) throw bad('credits.granted needs credits.key (the idempotency key)');
  const given = (['points', 'tokenCredits'] as const).filter((k) => c[k] !== undefined);
  if (given.length !== 1) throw bad('credits needs exactly one of points or tokenCredits');
  const v = c[given[0]];
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > MAX_CREDITS) throw bad(`credits.${given[0]} must be a number`);
  if (event === 'credits.set' && v < 0) throw bad(`credits.${given[0]} of a set must not be negative`);
  if (event === 'credits.granted' && v === 0) throw bad(`credits.${given[0]} of a grant must not be 0`);
  return { ...(c.key !== undefined ? { key: c.key as string } : {}), [given[0]]: v };
}

/** Validates lifecycle-token claims against the provider whose keys signed it. Throws SsoRefusal. */
export function validateLifecycleClaims(payload: unknown, provider: ProviderConfig, nowSec: number, maxAgeSec = 300): LifecycleCall {
  const bad = (reason: string) => new SsoRefusal('SG_LIFECYCLE_TOKEN_INVALID', { reason, provider: provider.name });
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw bad('payload is not an object');
  const p = payload as Record<string, unknown>;
  const envelope = validateEnvelope(p, provider, nowSec, { maxAgeSec, expRequired: true, bad });

  const subject = normalizeSubject(p.sub);
  if (!subject.ok) throw bad(`sub ${subject.reason}`);
  const sub = subject.subject;

  if (typeof p.event !== 'string' || !(LIFECYCLE_EVENTS as readonly string[]).includes(p.event)) throw bad('unknown event');
  const event = p.event as LifecycleEvent;
  let user: Record<string, unknown> = {};
  if (event === 'user.updated') {
    if (typeof p.user !== 'object' || p.user === null || Array.isArray(p.user)) throw bad('user.updated without a user object');
    user = p.user as Record<string, unknown>;
  }
  const credits = event === 'credits.granted' || event === 'credits.set' ? validateCreditsPayload(p.credits, event, bad) : undefined;
  if (p.dry_run !== undefined && typeof p.dry_run !== 'boolean') throw bad('dry_run is not a boolean');

  return { iss: p.iss as string, iat: envelope.iat, jti: envelope.jti, sub, event, user, ...(credits ? { credits } : {}), dryRun: p.dry_run === true, expiresAt: envelope.exp! + provider.clockToleranceSec };
}
