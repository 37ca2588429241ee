import { compactVerify, errors as joseErrors, JWSHeaderParameters } from 'jose';
import { KeyObject } from 'node:crypto';
import { ProviderConfig, ShinegoldConfig } from '../config/schema';
import { SsoError, SsoRefusal, SsoUnavailable } from '../errors';
import { ClaimExpectations, ValidClaims, validateClaims } from './claims';
import { createKeySet, KeySet } from './keys';

export interface VerifiedToken {
  provider: ProviderConfig;
  claims: ValidClaims;
}

export interface Verifier {
  /** Verifies signature and claims. Throws SsoRefusal (bad token) or SsoUnavailable (keys). */
  verify(token: string): Promise<VerifiedToken>;
  /**
   * Verifies only the header rules and the signature, for tokens with other claim rules
   * (back-channel logout). The caller must validate the claims.
   */
  verifySignature(token: string): Promise<{ provider: ProviderConfig; payload: unknown }>;
}

/** Seconds since the epoch; injected so tests and replays can pin time. */
export type Clock = () => number;
export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

const B64URL = /^[A-Za-z0-9_-]*$/;

function decodeSegment(seg: string, what: string): Record<string, unknown> {
  if (seg === '' || !B64URL.test(seg)) throw new SsoRefusal('SG_TOKEN_MALFORMED', { reason: `${what} is not base64url` });
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
  } catch {
    throw new SsoRefusal('SG_TOKEN_MALFORMED', { reason: `${what} is not JSON` });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SsoRefusal('SG_TOKEN_MALFORMED', { reason: `${what} is not a JSON object` });
  }
  return value as Record<string, unknown>;
}

interface CompiledProvider {
  provider: ProviderConfig;
  keys: KeySet;
  expectations: ClaimExpectations;
}

export function createVerifier(config: ShinegoldConfig, clock: Clock = systemClock): Verifier {
  const compiled: CompiledProvider[] = config.providers.map((provider) => ({
    provider,
    keys: createKeySet(provider.keys),
    expectations: {
      issuer: provider.issuer,
      audience: provider.audience,
      clockToleranceSec: provider.clockToleranceSec,
      maxTokenAgeSec: provider.maxTokenAgeSec,
      subjectClaim: provider.subjectClaim,
      requiredClaims: provider.requiredClaims,
    },
  }));
  const byIssuer = new Map(compiled.map((c) => [c.provider.issuer, c]));

  async function verifySignature(token: string): Promise<{ provider: ProviderConfig; payload: unknown; target: CompiledProvider }> {
    if (Buffer.byteLength(token, 'utf8') > config.maxTokenBytes) {
      throw new SsoRefusal('SG_TOKEN_TOO_LARGE', { limit: config.maxTokenBytes });
    }
    const parts = token.split('.');
    if (parts.length !== 3) throw new SsoRefusal('SG_TOKEN_MALFORMED', { reason: `${parts.length} segments` });
    const header = decodeSegment(parts[0], 'header') as JWSHeaderParameters;
    if (typeof header.alg !== 'string') throw new SsoRefusal('SG_TOKEN_MALFORMED', { reason: 'alg is missing' });
    if (header.alg.toLowerCase() === 'none') throw new SsoRefusal('SG_TOKEN_ALG_NOT_ALLOWED', { alg: 'none' });
    if (parts[2] === '') throw new SsoRefusal('SG_TOKEN_BAD_SIGNATURE', { reason: 'signature is empty' });
    if (!B64URL.test(parts[2])) throw new SsoRefusal('SG_TOKEN_MALFORMED', { reason: 'signature is not base64url' });
    // RFC 7515 §4.1.11: we understand no extension, so any `crit` is refused.
    if (header.crit !== undefined) throw new SsoRefusal('SG_TOKEN_CRIT_UNSUPPORTED');

    // The unverified payload only chooses which provider's keys to try; everything in it
    // is checked again after the signature verifies.
    const unverified = decodeSegment(parts[1], 'payload');
    const target =
      compiled.length === 1 ? compiled[0] : typeof unverified.iss === 'string' ? byIssuer.get(unverified.iss) : undefined;
    if (!target) throw new SsoRefusal('SG_PROVIDER_UNKNOWN');
    if (!target.provider.isActive) throw new SsoRefusal('SG_PROVIDER_INACTIVE', { provider: target.provider.name });
    if (!target.provider.algorithms.includes(header.alg)) {
      throw new SsoRefusal('SG_TOKEN_ALG_NOT_ALLOWED', { alg: header.alg, provider: target.provider.name });
    }

    const candidates: KeyObject[] = await target.keys.candidates(header, {
      protected: parts[0],
      payload: parts[1],
      signature: parts[2],
    });
    let payloadBytes: Uint8Array | undefined;
    for (const key of candidates) {
      try {
        const result = await compactVerify(token, key, { algorithms: [...target.provider.algorithms] });
        payloadBytes = result.payload;
        break;
      } catch (e) {
        if (e instanceof SsoError) throw e;
        if (e instanceof joseErrors.JWSSignatureVerificationFailed) continue;
        if (e instanceof joseErrors.JOSEAlgNotAllowed) throw new SsoRefusal('SG_TOKEN_ALG_NOT_ALLOWED', { alg: header.alg });
        if (e instanceof joseErrors.JOSENotSupported) throw new SsoRefusal('SG_TOKEN_ALG_NOT_ALLOWED', { alg: header.alg, reason: (e as Error).message });
        if (e instanceof joseErrors.JWSInvalid) throw new SsoRefusal('SG_TOKEN_MALFORMED', { reason: (e as Error).message });
        // A key that cannot be used with this alg (e.g. an RSA key under an EC alg): try the next.
        if (e instanceof TypeError) continue;
        throw new SsoUnavailable('SG_KEYS_UNAVAILABLE', e);
      }
    }
    if (!payloadBytes) throw new SsoRefusal('SG_TOKEN_BAD_SIGNATURE', { provider: target.provider.name, tried: candidates.length });

    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
    } catch {
      throw new SsoRefusal('SG_TOKEN_MALFORMED', { reason: 'payload is not JSON' });
    }
    return { provider: target.provider, payload, target };
  }

  return {
    async verify(token: string): Promise<VerifiedToken> {
      const { provider, payload, target } = await verifySignature(token);
      try {
        return { provider, claims: validateClaims(payload, target.expectations, clock()) };
      } catch (e) {
        // Name the provider in the refusal so audit lines and metrics can say whose token it was.
        if (e instanceof SsoRefusal) throw new SsoRefusal(e.code, { ...e.detail, provider: provider.name });
        throw e;
      }
    },
    async verifySignature(token: string) {
      const { provider, payload } = await verifySignature(token);
      return { provider, payload };
    },
  };
}
