import { accountOf } from '../identity/account';
import { firstUse } from '../store/replay';
import { validateEnvelope } from '../token/envelope';
import { normalizeSubject } from '../token/subject';
import { endAllSessions, recordSessionLogout } from './revocation';
import type { AuditSink } from '../audit';
import { errorFields } from '../audit';
import type { ProviderConfig } from '../config/schema';
import { isRefusal, SsoRefusal } from '../errors';
import { IdentityDoc, identityKey, Store } from '../store/models';
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
  /** When the main site logged the person out (its clock): the event's time. */
  iat: number;
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
  let sub: string | undefined;
  if (p.sub !== undefined) {
    const s = normalizeSubject(p.sub);
    if (!s.ok) throw bad(`sub ${s.reason}`);
    sub = s.subject;
  }
  let sid: string | undefined;
  if (p.sid !== undefined) {
    const s = normalizeSubject(p.sid);
    if (!s.ok) throw bad(`sid ${s.reason}`);
    sid = s.subject;
  }
  if (!sub && !sid) throw bad('neither sub nor sid');
  const expiresAt = envelope.exp ?? envelope.iat + maxAgeSec;
  return { sub, sid, jti: envelope.jti, iss: p.iss as string, iat: envelope.iat, expiresAt: expiresAt + tol };
}

/** How long a logged-out session's tokens can still come back: as long as a login token can live. */
export function sessionLogoutUntil(provider: ProviderConfig, iat: number): number {
  return iat + (provider.maxTokenAgeSec > 0 ? provider.maxTokenAgeSec : 30 * 86400) + provider.clockToleranceSec;
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
      // A logout naming a session (sid): that session's login tokens are refused from now on,
      // wherever a copy of its cookie survives (every *.shinegold.com server received it). One
      // naming only the person (no sid) logs them out everywhere: every login token issued at or
      // before it is refused (identity/ordering.ts), including for a person chat has not seen
      // yet (the mark waits on a row for their first visit). Either way chat's sessions of the
      // person end and their access tokens die.
      if (claims.sid) await recordSessionLogout(store, provider.name, claims.sid, sessionLogoutUntil(provider, claims.iat));
      const everywhere = !claims.sid;
      const rows = new Map<string, IdentityDoc>();
      // Users already read (the one the sub's row names), so none is read twice.
      const read = new Map<string, Record<string, any>>();
      if (claims.sub) {
        const key = identityKey(provider.name, claims.sub);
        if (everywhere) {
          await store.Identity.updateOne(
            { _id: key },
            { $max: { 'marks.loggedOutAt': claims.iat }, $setOnInsert: { provider: provider.name, externalId: claims.sub, userId: null, claim: null, status: 'active' } },
            { upsert: true },
          );
        }
        // The row, naming the person's account even where a first visit stopped before writing it.
        const { mapping: row, user } = await accountOf(store, { provider: provider.name, externalId: claims.sub, primary: provider.primary }, { link: true });
        if (row) rows.set(row._id, row);
        if (user) read.set(String(user._id), user);
      }
      if (claims.sid) {
        for (const row of await store.Identity.find({ provider: provider.name, $or: [{ sids: claims.sid }, { sessionId: claims.sid }] }).lean<IdentityDoc[]>()) rows.set(row._id, row);
      }
      const userIds = new Set([...rows.values()].filter((r) => r.userId).map((r) => String(r.userId)));
      for (const userId of userIds) {
        const user = read.get(userId) ?? (await store.methods.getUserById(userId, 'shinegoldRevokedBefore shinegoldLoggedOutAt')) ?? { _id: userId };
        await endAllSessions(store.methods, user, nowSec, everywhere ? { shinegoldLoggedOutAt: Math.max(claims.iat, user.shinegoldLoggedOutAt ?? 0) } : {});
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
