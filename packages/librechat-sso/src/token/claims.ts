import { SsoRefusal } from '../errors';
import { normalizeSubject } from './subject';

/**
 * Pure claim validation (RFC 7519 §4.1) with the clock injected, in the manner of jose's
 * jwt_claims_set: `validateClaims(payload, expectations, nowSec)` returns the typed claims or
 * throws an SsoRefusal naming the claim. Expectations are compiled once per provider.
 */
export interface ClaimExpectations {
  issuer: string;
  audience: string;
  clockToleranceSec: number;
  /** 0 disables the bound on `iat` age. */
  maxTokenAgeSec: number;
  subjectClaim: string;
  requiredClaims: readonly string[];
}

export interface ValidClaims {
  /** The subject (main-site user id), always a non-empty string. */
  subject: string;
  iss: string;
  exp: number;
  iat?: number;
  jti?: string;
  /** All claims, for mapping. Only read after validation. */
  raw: Readonly<Record<string, unknown>>;
}

/** Reads a dotted path (`a.b.c`) from an object; arrays are not indexed. */
export function claimAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function numericDate(payload: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const v = payload[name];
  if (v === undefined) {
    if (required) throw new SsoRefusal('SG_TOKEN_CLAIM_MISSING', { claim: name });
    return undefined;
  }
  if (!isNumericDate(v)) throw new SsoRefusal('SG_TOKEN_CLAIM_INVALID', { claim: name, reason: 'not a NumericDate' });
  return v;
}

export function validateClaims(payload: unknown, exp: ClaimExpectations, nowSec: number): ValidClaims {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new SsoRefusal('SG_TOKEN_MALFORMED', { reason: 'payload is not a JSON object' });
  }
  const p = payload as Record<string, unknown>;
  const tol = exp.clockToleranceSec;
  // The main site signs logout (`events`) and lifecycle (`event`) tokens with the same key and
  // the same iss/aud/sub: without this, one of those replayed as the cookie would log someone in.
  if (p.events !== undefined || p.event !== undefined) {
    throw new SsoRefusal('SG_TOKEN_WRONG_TYPE', { claim: p.events !== undefined ? 'events' : 'event' });
  }

  // Types first: a claim of the wrong type is refused even when it would not matter.
  const expiry = numericDate(p, 'exp', true)!;
  const nbf = numericDate(p, 'nbf', false);
  const iat = numericDate(p, 'iat', exp.maxTokenAgeSec > 0);
  if (p.iss !== undefined && typeof p.iss !== 'string') throw new SsoRefusal('SG_TOKEN_CLAIM_INVALID', { claim: 'iss' });
  if (p.jti !== undefined && (typeof p.jti !== 'string' || p.jti === '')) throw new SsoRefusal('SG_TOKEN_CLAIM_INVALID', { claim: 'jti' });
  const aud = p.aud;
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) {
    throw new SsoRefusal('SG_TOKEN_CLAIM_INVALID', { claim: 'aud' });
  }

  for (const name of exp.requiredClaims) {
    const v = claimAt(p, name);
    if (v === undefined || v === null || v === '') throw new SsoRefusal('SG_TOKEN_CLAIM_MISSING', { claim: name });
  }

  // Time: exp <= now - leeway is expired (RFC 7519 §4.1.4: "on or after").
  if (expiry <= nowSec - tol) throw new SsoRefusal('SG_TOKEN_EXPIRED', { exp: expiry, now: nowSec });
  if (nbf !== undefined && nbf > nowSec + tol) throw new SsoRefusal('SG_TOKEN_NOT_YET_VALID', { nbf, now: nowSec });
  if (iat !== undefined && iat > nowSec + tol) throw new SsoRefusal('SG_TOKEN_ISSUED_IN_FUTURE', { iat, now: nowSec });
  if (exp.maxTokenAgeSec > 0 && iat !== undefined && nowSec - iat > exp.maxTokenAgeSec + tol) {
    throw new SsoRefusal('SG_TOKEN_TOO_OLD', { iat, now: nowSec, maxAge: exp.maxTokenAgeSec });
  }

  if (p.iss === undefined) throw new SsoRefusal('SG_TOKEN_CLAIM_MISSING', { claim: 'iss' });
  if (p.iss !== exp.issuer) throw new SsoRefusal('SG_TOKEN_BAD_ISSUER', { expected: exp.issuer });
  if (aud === undefined) throw new SsoRefusal('SG_TOKEN_CLAIM_MISSING', { claim: 'aud' });
  const audiences = typeof aud === 'string' ? [aud] : (aud as string[]);
  if (!audiences.includes(exp.audience)) throw new SsoRefusal('SG_TOKEN_BAD_AUDIENCE', { expected: exp.audience });

  const sub = normalizeSubject(claimAt(p, exp.subjectClaim));
  if (!sub.ok) {
    throw new SsoRefusal(sub.reason === 'missing' ? 'SG_TOKEN_CLAIM_MISSING' : 'SG_TOKEN_CLAIM_INVALID', { claim: exp.subjectClaim, ...(sub.reason === 'missing' ? {} : { reason: sub.reason }) });
  }
  const subject = sub.subject;

  return {
    subject,
    iss: p.iss as string,
    exp: expiry,
    iat,
    jti: p.jti as string | undefined,
    raw: Object.freeze({ ...p }),
  };
}
