import type { AuditSink } from '../audit';
import { errorFields } from '../audit';
import type { Authenticator } from '../authenticate';
import type { Credits } from '../credits';
import { isRefusal, SsoRefusal } from '../errors';
import type { Provisioner } from '../identity/provision';
import type { Store } from '../store/models';
import { cookieValues } from '../token/extract';

/**
 * The session bridge: decides what LibreChat's "refresh my session" call does, before LibreChat's
 * own handler, from the main site's cookie and the browser's LibreChat session. Free of Express
 * and of LibreChat's cookie names: the adapter (librechat/auth-router.ts) reads LibreChat's
 * session cookie and applies the decision.
 *
 * - main-site cookie valid, LibreChat session of the same person: `passthrough` (LibreChat's
 *   own refresh runs unchanged). When this process has the person's mapping cached and the
 *   token says what the mapping says, no database read is made here: LibreChat's refresh reads
 *   the session anyway, and everything that shuts a person out deletes their sessions first.
 * - main-site cookie valid, no session or another person's: the old session is deleted, the
 *   person is provisioned and synced, a session is created through data-schemas (`createSession`,
 *   `generateToken`): `login`. The main site must not have logged the token's session out; that
 *   is checked before the session is made and again after, so a logout racing this login either
 *   ends the new session or is seen by the second check.
 * - main-site cookie gone or refused, and a session of a shinegold person: the session is
 *   deleted: `logout`, with the refusal's code (the adapter answers LibreChat's "not logged in";
 *   the login entry then tells the person why). A local account's session (break-glass) is left
 *   to LibreChat.
 * - the main-site cookie sent more than once (another host under the parent domain planted
 *   one): never bridged to anyone; `logout` with SG_TOKEN_DUPLICATE_COOKIE and `clearParent`.
 * A dependency failure is `unavailable` (503), never a login.
 */
export interface BridgeInput {
  /** The request's Cookie header. */
  cookieHeader?: string;
  /** The browser's LibreChat session, as the adapter read it from LibreChat's cookie (signature checked). */
  session?: { userId: string; refreshToken: string };
}

export type BridgeDecision =
  | { kind: 'passthrough' }
  | { kind: 'login'; token: string; user: Record<string, unknown>; refreshToken: string; expires: Date; created: boolean }
  | { kind: 'logout'; code: string; clearParent?: boolean }
  | { kind: 'unavailable'; code: string };

export interface BridgeOptions {
  /** LibreChat's REFRESH_TOKEN_EXPIRY and SESSION_EXPIRY, in ms. */
  refreshTokenExpiryMs: number;
  sessionExpiryMs: number;
}

export function createBridge(deps: { authenticator: Authenticator; provisioner: Provisioner; store: Store; audit: AuditSink; cookieName: string; options: BridgeOptions; credits?: Credits }) {
  const { authenticator, provisioner, store, audit, cookieName, options, credits } = deps;
  const { methods } = store;

  async function endSession(refreshToken: string | undefined) {
    if (refreshToken) await methods.deleteSession({ refreshToken }).catch(() => undefined);
  }

  async function decide(input: BridgeInput): Promise<BridgeDecision> {
    const { session } = input;
    const parents = cookieValues(input.cookieHeader, cookieName).filter((v) => v !== '');
    const src = { cookieHeader: input.cookieHeader };

    if (parents.length === 0) {
      if (!session) return { kind: 'logout', code: 'SG_TOKEN_MISSING' };
      const user = await methods.getUserById(session.userId, 'shinegoldUserId provider').catch(() => null);
      if (user && !user.shinegoldUserId && user.provider !== 'shinegold') return { kind: 'passthrough' };
      await endSession(session.refreshToken);
      audit({ event: 'session.ended', outcome: 'success', userId: session.userId, code: 'SG_TOKEN_MISSING', detail: { reason: 'main-site session gone' } });
      return { kind: 'logout', code: 'SG_TOKEN_MISSING' };
    }

    // The fast passthrough: the token judged (no database), the mapping from this process's cache.
    try {
      const { identity } = await authenticator.judge(src);
      const row = provisioner.cached(identity.provider, identity.externalId);
      // Points this process has not seen applied for the person take the full path (credits/).
      const pointsKnown = !credits || credits.known(String(row?.userId), identity.points);
      if (session && row?.userId && String(row.userId) === session.userId && provisioner.inStep(row, identity) && pointsKnown) return { kind: 'passthrough' };
    } catch (e) {
      if (!isRefusal(e)) return { kind: 'unavailable', code: errorFields(e).code ?? 'SG_KEYS_UNAVAILABLE' };
      // Refused: the full path below audits it with the person, and ends the session.
    }

    let auth;
    try {
      // The main-site session's logout check runs inside, beside the first read, before any write.
      auth = await authenticator.authenticate(src);
    } catch (e) {
      if (!isRefusal(e)) return { kind: 'unavailable', code: errorFields(e).code ?? 'SG_DB_UNAVAILABLE' };
      await endSession(session?.refreshToken);
      if (session) audit({ event: 'session.ended', outcome: 'success', userId: session.userId, code: e.code });
      return { kind: 'logout', code: e.code, ...(e.code === 'SG_TOKEN_DUPLICATE_COOKIE' ? { clearParent: true } : {}) };
    }

    const userId = String(auth.user._id);
    const person = { provider: auth.token.provider.name, externalId: auth.identity.externalId, userId };
    try {
      if (session?.userId === userId && (await methods.findSession({ userId, refreshToken: session.refreshToken }))) return { kind: 'passthrough' };
      const refuse = async (refusal: SsoRefusal, newRefresh?: string) => {
        await endSession(newRefresh);
        audit({ event: 'login.refused', outcome: 'failure', ...person, code: refusal.code, detail: refusal.detail });
        return { kind: 'logout' as const, code: refusal.code };
      };
      await endSession(session?.refreshToken);
      const created = await methods.createSession(userId, { expiresIn: options.refreshTokenExpiryMs });
      const token = await methods.generateToken(auth.user, options.sessionExpiryMs);
      // A ban, delete or logout may have landed while this login ran. Each marks the person,
      // then ends their sessions; we made the session, then look at the marks: either it ended
      // this session, or we see its mark and end the session ourselves.
      const after = (await provisioner.standingNow(auth.identity, auth.mapping._id, userId)) ?? ((await authenticator.sessionLoggedOut(auth.identity)) ? new SsoRefusal('SG_TOKEN_LOGGED_OUT', { reason: 'session logged out' }) : undefined);
      if (after) return refuse(after, created.refreshToken);
      audit({ event: 'session.bridged', outcome: 'success', ...person, detail: { replaced: session && session.userId !== userId ? 'other user' : session ? 'stale session' : 'none' } });
      return { kind: 'login', token, user: auth.user, refreshToken: created.refreshToken, expires: new Date(created.session.expiration), created: auth.created };
    } catch (e) {
      audit({ event: 'login.error', outcome: 'error', ...person, ...errorFields(e) });
      return { kind: 'unavailable', code: 'SG_DB_UNAVAILABLE' };
    }
  }

  return { decide };
}

export type Bridge = ReturnType<typeof createBridge>;
