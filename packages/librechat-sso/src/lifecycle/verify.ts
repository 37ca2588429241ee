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
 *   event                     user.updated | user.banned | user.unbanned | user.deleted;
 *   user                      for user.updated: the profile as login-token claims (email, name,
 *                             picture, roles, extension claims...), read with the same names;
 *   dry_run                   optional `true`: answer what would change, write nothing.
 * `nonce` is refused so an ID token can never pass as a lifecycle call. Pure: no I/O, no clock.
 */
export const LIFECYCLE_EVENTS = ['user.updated', 'user.banned', 'user.unbanned', 'user.deleted'] as const;
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
  dryRun: boolean;
  /** Seconds: until when the jti must be remembered. */
  expiresAt: number;
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
  if (p.dry_run !== undefined && typeof p.dry_run !== 'boolean') throw bad('dry_run is not a boolean');

  return { iss: p.iss as string, iat: envelope.iat, jti: envelope.jti, sub, event, user, dryRun: p.dry_run === true, expiresAt: envelope.exp! + provider.clockToleranceSec };
}
