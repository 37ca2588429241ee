import type { LibreChatMethods, Store } from '../store/models';

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

/** The replay-store key of a main-site session the main site logged out. */
const sidKey = (provider: string, sid: string) => `sid:${provider}:${sid}`;

/**
 * Remembers that the main site logged a session (`sid`) out, for as long as a login token of
 * that session can live: its tokens are refused from now on (ordering.ts, rule 2), on every
 * replica (the store is MongoDB's). Idempotent; the later expiry wins.
 */
export async function recordSessionLogout(store: Store, provider: string, sid: string, untilSec: number): Promise<void> {
  const _id = sidKey(provider, sid);
  const expiresAt = new Date(untilSec * 1000);
  await store.Replay.updateOne({ _id }, { $set: { kind: 'sid-logout' }, $max: { expiresAt } }, { upsert: true });
}

/** Whether the main site logged this session out (and the record has not expired). */
export async function isSessionLoggedOut(store: Store, provider: string, sid: string, nowSec: number): Promise<boolean> {
  return (await store.Replay.exists({ _id: sidKey(provider, sid), expiresAt: { $gt: new Date(nowSec * 1000) } })) !== null;
}
