import { firstUse } from '../store/replay';
import { validateEnvelope } from '../token/envelope';
import { endAllSessions } from './revocation';
import type { AuditSink } from '../audit';
import { errorFields } from '../audit';
import type { ProviderConfig } from '../config/schema';
import { isRefusal, SsoRefusal } from '../errors';
import { identityKey, Store } from '../store/models';
import type { Clock, Verifier } from '../token/verify';

/**
 * Main site -> chat logout, after OpenID Connect Back-Channel Logout 1.0: the main site POSTs a
 * signed `logout_token` (same keys as the login token). Validation (§2.6):
 * iss, aud, iat (not in the future, not older than `maxAgeSec`), exp if present, a jti, the
 * `events` member with the back-channel event, sub and/or sid, and no `nonce`. A jti is accepted
 * once: the replay store is a MongoDB collection shared by every replica; expiry is checked in
 * the query (the TTL index only tidies up).
 * Effect: every LibreChat session of the user is deleted and access tokens issued before now are
 * refused (see revocation.ts).
 */
export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface LogoutClaims {
  sub?: string;
  sid?: string;
  jti: string;
  iss: string;
  expiresAt: number;
}

/** Pure: validates logout-token claims against a provider. Throws SsoRefusal. */
export function validateLogoutClaims(payload: unknown, provider: ProviderConfig, nowSec: number, maxAgeSec = 300): LogoutClaims {
  const bad = (reason: string) => new SsoRefusal('SG_LOGOUT_TOKEN_INVALID', { reason });
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw bad('payload is not an object');
  const p = payload as Record<string, unknown>;
  const tol = provider.clockToleranceSec;
  const envelope = validateEnvelope(p, provider, nowSec, { maxAgeSec, expRequired: false, bad });
  const events = p.events as Record<string, unknown> | undefined;
  if (typeof events !== 'object' || events === null || typeof events[BACKCHANNEL_EVENT] !== 'object' || events[BACKCHANNEL_EVENT] === null) {
    throw bad('back-channel logout event missing');
  }
  const sub = typeof p.sub === 'string' && p.sub !== '' ? p.sub : undefined;
  const sid = typeof p.sid === 'string' && p.sid !== '' ? p.sid : undefined;
  if (!sub && !sid) throw bad('neither sub nor sid');
  const expiresAt = envelope.exp ?? envelope.iat + maxAgeSec;
  return { sub, sid, jti: envelope.jti, iss: p.iss as string, expiresAt: expiresAt + tol };
}

export function createBackchannel(deps: { verifier: Verifier; store: Store; audit: AuditSink; clock: Clock }) {
  const { verifier, store, audit, clock } = deps;

  /** Returns the HTTP status (200 or 400) and, for 400, the refusal code. */
  async function handle(logoutToken: unknown): Promise<{ status: 200 | 400 | 503; code?: string; users?: number }> {
    try {
      if (typeof logoutToken !== 'string' || logoutToken === '') throw new SsoRefusal('SG_LOGOUT_TOKEN_INVALID', { reason: 'no logout_token' });
      const { provider, payload } = await verifier.verifySignature(logoutToken);
      const nowSec = clock();
      const claims = validateLogoutClaims(payload, provider, nowSec);
      if (!(await firstUse(store, `bcl:${claims.iss}:${claims.jti}`, 'backchannel', new Date(claims.expiresAt * 1000), new Date(nowSec * 1000)))) {
        throw new SsoRefusal('SG_TOKEN_REPLAYED');
      }
      const userIds = new Set<string>();
      if (claims.sub) {
        const row = await store.Identity.findById(identityKey(provider.name, claims.sub)).lean();
        if (row?.userId) userIds.add(String(row.userId));
      }
      if (claims.sid) {
        const rows = await store.Identity.find({ provider: provider.name, sessionId: claims.sid }).lean();
        rows.forEach((r) => r.userId && userIds.add(String(r.userId)));
      }
      // A logout token naming only the user (no sid) logs that user out everywhere: login
      // tokens issued before it are refused too (provision.ts), so a cookie still held by another
      // browser cannot log back in. One naming a session (sid) ends chat's sessions, but other
      // main-site sessions of the person keep their tokens.
      const everywhere = !claims.sid;
      for (const userId of userIds) {
        const user = (await store.methods.getUserById(userId, 'shinegoldRevokedBefore shinegoldLoggedOutAt')) ?? { _id: userId };
        await endAllSessions(store.methods, user, nowSec, everywhere ? { shinegoldLoggedOutAt: Math.max(nowSec, user.shinegoldLoggedOutAt ?? 0) } : {});
      }
      audit({ event: 'logout.backchannel', outcome: 'success', provider: provider.name, externalId: claims.sub, detail: { users: userIds.size, bySid: !!claims.sid, everywhere: everywhere || undefined } });
      return { status: 200, users: userIds.size };
    } catch (e) {
      const fields = errorFields(e);
      audit({ event: 'logout.backchannel', outcome: isRefusal(e) ? 'failure' : 'error', ...fields });
      return isRefusal(e) ? { status: 400, code: e.code } : { status: 503, code: fields.code };
    }
  }

  return { handle };
}
