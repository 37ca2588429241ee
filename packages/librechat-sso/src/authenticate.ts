import { AuditEvent, AuditSink, errorFields } from './audit';
import type { ShinegoldConfig } from './config/schema';
import type { Credits } from './credits';
import { isRefusal, SsoRefusal } from './errors';
import { Identity, mapIdentity } from './identity/map';
import type { ProvisionResult, Provisioner } from './identity/provision';
import type { Metrics } from './metrics';
import { isSessionLoggedOut } from './session/revocation';
import type { Store } from './store/models';
import { cookieValues, extractToken, TokenSource } from './token/extract';
import { peekSubject } from './token/peek';
import type { Clock, Verifier, VerifiedToken } from './token/verify';

/**
 * The core pipeline, free of Express and passport: token source -> verified claims -> identity
 * -> LibreChat user (found, created or linked, then synced). Throws SsoRefusal for a bad
 * credential and SsoUnavailable for a broken dependency; audits and counts both. Every refusal's
 * audit line names the person: the provider and external id once the token verified, else the
 * unverified `sub` it carries, marked as such.
 */
export interface Authentication extends ProvisionResult {
  token: VerifiedToken;
  identity: Identity;
}

export interface Authenticator {
  /** Judges the token only (no database): used by verify-token and the session bridge. */
  judge(src: TokenSource): Promise<{ token: VerifiedToken; identity: Identity }>;
  /** The token, the main-site session's logout (`sid`), the person's account and its sync. */
  authenticate(src: TokenSource): Promise<Authentication>;
  /** Whether the main site logged out the session this identity's token belongs to. */
  sessionLoggedOut(identity: Identity): Promise<boolean>;
  /** Who a refusal concerns, for its audit line (never the token itself). */
  who(src: TokenSource, identity?: Identity, provider?: string): Pick<AuditEvent, 'provider' | 'externalId' | 'detail'>;
}

export function createAuthenticator(deps: {
  config: ShinegoldConfig;
  verifier: Verifier;
  provisioner: Provisioner;
  store: Store;
  audit: AuditSink;
  clock: Clock;
  metrics?: Metrics;
  credits?: Credits;
}): Authenticator {
  const { config, verifier, provisioner, store, audit, metrics, clock, credits } = deps;

  /**
   * The login's points become the balance when they changed (credits/rules.ts). A token older
   * than the last profile update writes nothing, points included. A failure here does not refuse
   * the login: the balance is left as it was, and the next login tries again.
   */
  async function applyCredits(result: ProvisionResult, identity: Identity, person: Pick<AuditEvent, 'provider' | 'externalId' | 'userId'>) {
    if (!credits || identity.points === undefined || result.stale) return;
    try {
      const o = await credits.onLogin(result.user._id, identity.points, identity.issuedAt, identity.provider);
      if (o?.changed) audit({ event: 'credits.applied', outcome: 'success', ...person, detail: { by: 'login', kind: 'set', points: identity.points, delta: o.delta, balance: o.balance } });
    } catch (e) {
      audit({ event: 'credits.applied', outcome: 'error', ...person, ...errorFields(e), detail: { by: 'login', kind: 'set', ...errorFields(e).detail } });
    }
  }

  async function judge(src: TokenSource) {
    const found = extractToken(src, { cookieName: config.cookieName, acceptBearer: config.acceptBearer });
    if (!found) throw new SsoRefusal('SG_TOKEN_MISSING');
    const token = await verifier.verify(found.token);
    return { token, identity: mapIdentity(token.claims, token.provider, config) };
  }

  async function sessionLoggedOut(identity: Identity): Promise<boolean> {
    return !!identity.sessionId && (await isSessionLoggedOut(store, identity.provider, identity.sessionId, clock()));
  }

  function who(src: TokenSource, identity?: Identity, provider?: string): Pick<AuditEvent, 'provider' | 'externalId' | 'detail'> {
    if (identity) return { provider: identity.provider, externalId: identity.externalId };
    const raw = cookieValues(src.cookieHeader, config.cookieName)[0] ?? /^Bearer\s+(\S+)/i.exec(src.authorization ?? '')?.[1];
    const seen = peekSubject(raw);
    const named = provider ?? (config.providers.length === 1 ? config.providers[0].name : config.providers.find((p) => p.issuer === seen?.iss)?.name);
    return { provider: named, ...(seen?.sub ? { externalId: seen.sub, detail: { subjectUnverified: true } } : {}) };
  }

  async function authenticate(src: TokenSource): Promise<Authentication> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let identity: Identity | undefined;
    let provider: string | undefined;
    try {
      const judged = await judge(src);
      identity = judged.identity;
      provider = judged.token.provider.name;
      // The session's logout check runs beside the provisioner's first read; nothing is written
      // before it passed.
      const gate = identity.sessionId
        ? sessionLoggedOut(judged.identity).then((out) => {
            if (out) throw new SsoRefusal('SG_TOKEN_LOGGED_OUT', { reason: 'session logged out' });
          })
        : undefined;
      gate?.catch(() => undefined); // awaited by provision; this only keeps an early failure from being unhandled
      const result = await provisioner.provision(identity, 'login', { gate });
      const userId = String(result.user._id);
      const person = { provider, externalId: identity.externalId, userId };
      await applyCredits(result, identity, person);
      if (result.created) audit({ event: 'user.created', outcome: 'success', ...person });
      if (result.linked) audit({ event: 'user.linked', outcome: 'success', ...person });
      if (result.sync.changed.length > 0 || result.sync.idConflicts) {
        audit({ event: 'user.synced', outcome: 'success', ...person, detail: { fields: result.sync.changed, emailCollision: result.sync.emailCollision || undefined, idConflicts: result.sync.idConflicts } });
      }
      if (result.sync.withheld) audit({ event: 'role.withheld', outcome: 'success', ...person, detail: { ...result.sync.withheld, given: identity.role.role } });
      if (result.sync.role || (result.created && result.user.role === 'ADMIN')) {
        audit({ event: 'role.changed', outcome: 'success', ...person, detail: result.sync.role ?? { from: null, to: result.user.role } });
        metrics?.users.inc({ event: 'role.changed' });
      }
      if (result.created) metrics?.users.inc({ event: 'created' });
      if (result.linked) metrics?.users.inc({ event: 'linked' });
      const notes = { ...(identity.ignored.length ? { ignoredClaims: identity.ignored } : {}), ...(result.stale ? { olderThanLastUpdate: true } : {}) };
      audit({ event: 'login.accepted', outcome: 'success', ...person, detail: Object.keys(notes).length ? notes : undefined });
      metrics?.logins.inc({ outcome: 'accepted', code: 'OK', provider });
      metrics?.duration.observe({ outcome: 'accepted' }, seconds());
      return { ...result, token: judged.token, identity };
    } catch (e) {
      const refused = isRefusal(e);
      const fields = errorFields(e);
      if (!provider && typeof fields.detail?.provider === 'string') provider = fields.detail.provider;
      const person = who(src, identity, provider);
      audit({
        event: refused ? 'login.refused' : 'login.error',
        outcome: refused ? 'failure' : 'error',
        ...person,
        code: fields.code,
        detail: { ...fields.detail, ...person.detail },
      });
      metrics?.logins.inc({ outcome: refused ? 'refused' : 'error', code: fields.code ?? 'SG_INTERNAL', provider: provider ?? 'unknown' });
      metrics?.duration.observe({ outcome: refused ? 'refused' : 'error' }, seconds());
      throw e;
    }
  }

  return { judge, authenticate, sessionLoggedOut, who };
}
