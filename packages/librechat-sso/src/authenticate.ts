import { AuditSink, errorFields } from './audit';
import { ShinegoldConfig } from './config/schema';
import { isRefusal, SsoRefusal } from './errors';
import { Identity, mapIdentity } from './identity/map';
import { ProvisionResult, Provisioner } from './identity/provision';
import { Metrics } from './metrics';
import { extractToken, TokenSource } from './token/extract';
import { Verifier, VerifiedToken } from './token/verify';

/**
 * The core pipeline, free of Express and passport: token source -> verified claims ->
 * identity -> LibreChat user (found, created or linked, then synced). Throws SsoRefusal for a
 * bad credential and SsoUnavailable for a broken dependency; audits and counts both.
 */
export interface Authentication extends ProvisionResult {
  token: VerifiedToken;
  identity: Identity;
}

export interface Authenticator {
  /** Judges the token only (no database): used by verify-token and the session bridge. */
  judge(src: TokenSource): Promise<{ token: VerifiedToken; identity: Identity }>;
  authenticate(src: TokenSource): Promise<Authentication>;
}

export function createAuthenticator(deps: {
  config: ShinegoldConfig;
  verifier: Verifier;
  provisioner: Provisioner;
  audit: AuditSink;
  metrics?: Metrics;
}): Authenticator {
  const { config, verifier, provisioner, audit, metrics } = deps;

  async function judge(src: TokenSource) {
    const found = extractToken(src, { cookieName: config.cookieName, acceptBearer: config.acceptBearer });
    if (!found) throw new SsoRefusal('SG_TOKEN_MISSING');
    const token = await verifier.verify(found.token);
    const identity: Identity = { ...mapIdentity(token.claims, token.provider.name, config), issuedAt: token.claims.iat ?? 0 };
    return { token, identity };
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
      const result = await provisioner.provision(identity);
      const userId = String(result.user._id);
      const who = { provider, externalId: identity.externalId, userId };
      if (result.created) audit({ event: 'user.created', outcome: 'success', ...who });
      if (result.linked) audit({ event: 'user.linked', outcome: 'success', ...who });
      if (result.sync.changed.length > 0) audit({ event: 'user.synced', outcome: 'success', ...who, detail: { fields: result.sync.changed, emailCollision: result.sync.emailCollision || undefined } });
      if (result.sync.role || (result.created && result.user.role === 'ADMIN')) {
        audit({ event: 'role.changed', outcome: 'success', ...who, detail: result.sync.role ?? { from: null, to: result.user.role } });
        metrics?.users.inc({ event: 'role.changed' });
      }
      if (result.created) metrics?.users.inc({ event: 'created' });
      if (result.linked) metrics?.users.inc({ event: 'linked' });
      audit({ event: 'login.accepted', outcome: 'success', ...who, detail: identity.ignored.length ? { ignoredClaims: identity.ignored } : undefined });
      metrics?.logins.inc({ outcome: 'accepted', code: 'OK', provider });
      metrics?.duration.observe({ outcome: 'accepted' }, seconds());
      return { ...result, token: judged.token, identity };
    } catch (e) {
      const refused = isRefusal(e);
      const fields = errorFields(e);
      if (!provider && typeof fields.detail?.provider === 'string') provider = fields.detail.provider;
      audit({
        event: refused ? 'login.refused' : 'login.error',
        outcome: refused ? 'failure' : 'error',
        provider,
        externalId: identity?.externalId,
        ...fields,
      });
      metrics?.logins.inc({ outcome: refused ? 'refused' : 'error', code: fields.code ?? 'SG_INTERNAL', provider: provider ?? 'unknown' });
      metrics?.duration.observe({ outcome: refused ? 'refused' : 'error' }, seconds());
      throw e;
    }
  }

  return { judge, authenticate };
}
