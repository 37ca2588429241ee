import type { LibreChatMethods } from '../store/models';

/**
 * Access tokens LibreChat issued before a mirrored logout must stop working at once, not when
 * they expire (15 minutes by default). A logout writes `shinegoldRevokedBefore` (seconds) on the
 * LibreChat user; LibreChat's JWT strategy already loads that user document on every API call,
 * so checking it costs no extra read.
 */
export function isRevoked(user: { shinegoldRevokedBefore?: number | null } | null | undefined, iat: unknown): boolean {
  const cutoff = user?.shinegoldRevokedBefore;
  if (typeof cutoff !== 'number') return false;
  // A token without a numeric iat cannot prove it is newer than the logout: refused.
  return typeof iat !== 'number' || iat < cutoff;
}

/**
 * The mark a logout or ban writes. `iat` has one-second resolution, so the mark is the next
 * second: every token issued up to the logout, including earlier in the same second, is refused
 * (a token issued later in that second is refused too, and the SPA simply refreshes). It always
 * moves forward, which also tells other replicas' mapping caches that something happened.
 */
export function revocationMark(nowSec: number, previous?: unknown): number {
  return Math.max(nowSec + 1, (typeof previous === 'number' ? previous : 0) + 1);
}

/**
 * Shuts a user out of chat now: every LibreChat session deleted (through data-schemas), then the
 * mark moved (with `also`, written in the same update), so access tokens issued so far die at
 * once. The order matters: a session the bridge creates meanwhile is either deleted here or
 * carries a token older than the mark. Returns the number of sessions deleted.
 */
export async function endAllSessions(
  methods: Pick<LibreChatMethods, 'deleteAllUserSessions' | 'updateUser'>,
  user: Record<string, any>,
  nowSec: number,
  also: Record<string, unknown> = {},
): Promise<number> {
  const userId = String(user._id);
  const res = await methods.deleteAllUserSessions({ userId });
  await methods.updateUser(userId, { shinegoldRevokedBefore: revocationMark(nowSec, user.shinegoldRevokedBefore), ...also });
  return res?.deletedCount ?? 0;
}

interface PassportLike {
  _strategy?(name: string): unknown;
}

/**
 * Wraps the verify callback of the passport-jwt strategy LibreChat registered as `jwt`, so a
 * revoked token gives `done(null, false)` (401) before LibreChat sees the user. Idempotent.
 * Returns false when no such strategy is registered (nothing was wrapped).
 */
export function guardLibreChatJwt(passport: PassportLike, name = 'jwt'): boolean {
  const strategy = passport._strategy?.(name) as { _verify?: Function; __shinegoldGuard?: boolean } | undefined;
  if (!strategy || typeof strategy._verify !== 'function') return false;
  if (strategy.__shinegoldGuard) return true;
  const original = strategy._verify;
  strategy._verify = function guarded(this: unknown, ...args: unknown[]) {
    // passport-jwt calls verify(payload, done) or verify(req, payload, done).
    const done = args[args.length - 1] as (err: unknown, user?: unknown, info?: unknown) => void;
    const payload = args[args.length - 2] as { iat?: unknown } | undefined;
    return original.apply(this, [
      ...args.slice(0, -1),
      (err: unknown, user: any, info: unknown) => {
        if (!err && user && isRevoked(user, payload?.iat)) return done(null, false, { code: 'SG_SESSION_REVOKED' });
        return done(err, user, info);
      },
    ]);
  };
  strategy.__shinegoldGuard = true;
  return true;
}
