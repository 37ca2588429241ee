import jwt from 'jsonwebtoken';
import type { Authenticator } from '../authenticate';
import type { AuditSink } from '../audit';
import { errorFields } from '../audit';
import { isRefusal } from '../errors';
import type { IdentityDoc, Store } from '../store/models';
import { statusRefusal } from '../identity/provision';
import { parseCookies } from '../token/extract';

/**
 * The session bridge: decides what `POST /api/auth/refresh` does before LibreChat's own
 * handler, from the parent-domain cookie and LibreChat's `refreshToken` cookie. Free of Express:
 * it returns a decision the LibreChat adapter applies.
 *
 * - parent cookie valid, LibreChat session of the same user: `passthrough` (LibreChat's own
 *   refresh runs unchanged);
 * - parent cookie valid, no session or another user's: the old session is deleted, the user is
 *   provisioned and synced, a session is created through data-schemas (`createSession`,
 *   `generateToken`) and LibreChat's own cookies and answer are produced: `login`;
 * - parent cookie gone or refused, and a session of a shinegold user: the session is deleted,
 *   cookies cleared, LibreChat's "not logged in" answer: `logout`. (A local account's session,
 *   e.g. break-glass, is left to LibreChat.)
 * A dependency failure is `unavailable` (503), never a login.
 */
export type BridgeDecision =
  | { kind: 'passthrough' }
  | { kind: 'login'; token: string; user: Record<string, unknown>; refreshToken: string; expires: Date; created: boolean }
  | { kind: 'logout'; code: string }
  | { kind: 'unavailable'; code: string };

export interface BridgeOptions {
  /** LibreChat's REFRESH_TOKEN_EXPIRY and SESSION_EXPIRY, in ms. */
  refreshTokenExpiryMs: number;
  sessionExpiryMs: number;
  refreshSecret: string;
}

const SENSITIVE = ['password', '__v', 'totpSecret', 'backupCodes', 'federatedTokens'];

/** LibreChat's sanitizeUserForAuthResponse: the user as the SPA receives it. */
export function sanitizeUser(user: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...user };
  for (const k of SENSITIVE) delete out[k];
  return out;
}

export function createBridge(deps: { authenticator: Authenticator; store: Store; audit: AuditSink; cookieName: string; options: BridgeOptions }) {
  const { authenticator, store, audit, cookieName, options } = deps;
  const { methods } = store;

  /** The LibreChat user id of the refresh cookie, if its signature is good. */
  function sessionUserId(refreshToken: string | undefined): string | undefined {
    if (!refreshToken) return undefined;
    try {
      const p = jwt.verify(refreshToken, options.refreshSecret, { algorithms: ['HS256'] }) as { id?: unknown };
      return typeof p.id === 'string' ? p.id : undefined;
    } catch {
      return undefined;
    }
  }

  async function endSession(refreshToken: string | undefined) {
    if (refreshToken) await methods.deleteSession({ refreshToken }).catch(() => undefined);
  }

  async function decide(cookieHeader: string | undefined): Promise<BridgeDecision> {
    const cookies = parseCookies(cookieHeader);
    const refreshToken = cookies.get('refreshToken');
    const currentUserId = sessionUserId(refreshToken);
    const parent = cookies.get(cookieName);

    if (!parent) {
      if (!currentUserId) return { kind: 'logout', code: 'SG_TOKEN_MISSING' };
      const user = await methods.getUserById(currentUserId, 'shinegoldUserId provider').catch(() => null);
      if (user && !user.shinegoldUserId && user.provider !== 'shinegold') return { kind: 'passthrough' };
      await endSession(refreshToken);
      audit({ event: 'session.ended', outcome: 'success', userId: currentUserId, code: 'SG_TOKEN_MISSING', detail: { reason: 'main-site session gone' } });
      return { kind: 'logout', code: 'SG_TOKEN_MISSING' };
    }

    let auth;
    try {
      // Only the cookie: the SPA sends LibreChat's own access token as Bearer on every call.
      auth = await authenticator.authenticate({ cookieHeader: `${cookieName}=${encodeURIComponent(parent)}` });
    } catch (e) {
      if (!isRefusal(e)) return { kind: 'unavailable', code: errorFields(e).code ?? 'SG_DB_UNAVAILABLE' };
      await endSession(refreshToken);
      if (currentUserId) audit({ event: 'session.ended', outcome: 'success', userId: currentUserId, code: e.code });
      return { kind: 'logout', code: e.code };
    }

    const userId = String(auth.user._id);
    if (currentUserId === userId) {
      const session = await methods.findSession({ userId, refreshToken }).catch(() => null);
      if (session) return { kind: 'passthrough' };
    }
    try {
      await endSession(refreshToken);
      const { session, refreshToken: newRefresh } = await methods.createSession(userId, { expiresIn: options.refreshTokenExpiryMs });
      const token = await methods.generateToken(auth.user, options.sessionExpiryMs);
      // A ban or delete may have landed while this login ran. It marks the mapping, then ends
      // the user's sessions; we made the session, then look at the mark: either the ban ended
      // this session, or we see the mark and end it ourselves.
      const mapping = await store.Identity.findById(auth.mapping._id).select('status').lean<{ status: IdentityDoc['status'] }>();
      if (mapping && mapping.status !== 'active') {
        await endSession(newRefresh);
        const refusal = statusRefusal(mapping.status);
        audit({ event: 'login.refused', outcome: 'failure', provider: auth.token.provider.name, externalId: auth.identity.externalId, userId, code: refusal.code });
        return { kind: 'logout', code: refusal.code };
      }
      audit({
        event: 'session.bridged',
        outcome: 'success',
        provider: auth.token.provider.name,
        externalId: auth.identity.externalId,
        userId,
        detail: { replaced: currentUserId && currentUserId !== userId ? 'other user' : currentUserId ? 'stale session' : 'none' },
      });
      return {
        kind: 'login',
        token,
        user: sanitizeUser(auth.user),
        refreshToken: newRefresh,
        expires: new Date(session.expiration),
        created: auth.created,
      };
    } catch (e) {
      audit({ event: 'login.error', outcome: 'error', userId, ...errorFields(e) });
      return { kind: 'unavailable', code: 'SG_DB_UNAVAILABLE' };
    }
  }

  return { decide };
}

export type Bridge = ReturnType<typeof createBridge>;
