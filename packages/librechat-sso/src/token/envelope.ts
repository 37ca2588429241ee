import type { ProviderConfig } from '../config/schema';
import { SsoRefusal } from '../errors';

/**
 * The claims every signed call from the main site shares (back-channel logout, lifecycle sync):
 * the provider's iss and aud, a recent iat, an unexpired exp, a jti for the replay store, and no
 * `nonce` (that would make it an ID token). Pure; throws `bad(reason)`.
 */
export interface Envelope {
  iat: number;
  exp?: number;
  jti: string;
}

export function validateEnvelope(
  p: Record<string, unknown>,
  provider: ProviderConfig,
  nowSec: number,
  opts: { maxAgeSec: number; expRequired: boolean; bad: (reason: string) => SsoRefusal },
): Envelope {
  const { bad, maxAgeSec } = opts;
  const tol = provider.clockToleranceSec;
  if (p.iss !== provider.issuer) throw bad('wrong issuer');
  const aud = typeof p.aud === 'string' ? [p.aud] : Array.isArray(p.aud) ? p.aud : [];
  if (!aud.includes(provider.audience)) throw bad('wrong audience');
  if (typeof p.iat !== 'number' || !Number.isFinite(p.iat)) throw bad('iat missing');
  if (p.iat > nowSec + tol) throw bad('iat in the future');
  if (nowSec - p.iat > maxAgeSec + tol) throw bad('too old');
  if (p.exp === undefined) {
    if (opts.expRequired) throw bad('exp missing');
  } else if (typeof p.exp !== 'number' || !Number.isFinite(p.exp)) {
    throw bad(opts.expRequired ? 'exp missing' : 'expired');
  } else if (p.exp <= nowSec - tol) {
    throw bad('expired');
  }
  if (typeof p.jti !== 'string' || p.jti === '' || p.jti.length > 256) throw bad('jti missing');
  if (p.nonce !== undefined) throw bad('nonce present');
  return { iat: p.iat, exp: p.exp as number | undefined, jti: p.jti };
}
