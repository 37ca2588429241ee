import { createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';
import type { KitOptions } from './types';

/**
 * The kit's one way to sign a token for chat: the key and algorithm from the options (checked
 * here, synchronously: a TypeError for no key or a short secret), iss, aud, iat and the given
 * expiry (seconds since the epoch), `kid` when the options name one.
 */
export function signer(opts: KitOptions): (claims: Record<string, unknown>, exp: number) => Promise<string> {
  const alg = opts.alg ?? (opts.secret ? 'HS256' : undefined);
  if (!alg) throw new TypeError('main-site-kit: give secret (HS256) or privateKey with alg');
  if (opts.secret && Buffer.byteLength(opts.secret) < 32) throw new TypeError('main-site-kit: the secret must be at least 32 bytes');
  const key = opts.secret ? createSecretKey(Buffer.from(opts.secret)) : opts.privateKey!;
  return (claims, exp) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, typ: 'JWT', ...(opts.kid ? { kid: opts.kid } : {}) })
      .setIssuer(opts.issuer)
      .setAudience(opts.audience)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key);
}

/** Two minutes from now: the life of a token the kit sends with one call. */
export const inTwoMinutes = () => Math.floor(Date.now() / 1000) + 120;
