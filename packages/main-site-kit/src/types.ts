import type { KeyObject } from 'node:crypto';

/** The kit's options and the main-site user it signs for: shared by every file of the kit. */
export interface KitOptions {
  issuer: string;
  audience: string;
  /** HS256 secret (>= 32 bytes), or an asymmetric private key with its algorithm. */
  secret?: string;
  privateKey?: KeyObject;
  alg?: 'HS256' | 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  kid?: string;
  cookieName?: string;
  /** `.shinegold.com`: the parent domain, so chat.shinegold.com receives the cookie. */
  cookieDomain: string;
  chatOrigin: string;
  /** Token lifetime in seconds (default 1 hour); the cookie lives as long. */
  ttlSeconds?: number;
  fetch?: typeof fetch;
}

export interface MainSiteUser {
  id: string;
  email: string;
  emailVerified: boolean;
  name?: string;
  username?: string;
  avatar?: string;
  roles?: string[];
  /** The main-site session id, so a back-channel logout by sid ends exactly that session. */
  sid?: string;
  /**
   * How this login was authenticated, from the main site's own session after its own second
   * factor: `amr` (RFC 8176: `pwd`, `otp`, `mfa`, `hwk`, ...), `acr`, and `authTime` (when the
   * person authenticated, seconds since the epoch). Signed as `amr`, `acr`, `auth_time` in the
   * login token; chat may require a second factor for ADMIN. Never sent in lifecycle calls.
   */
  amr?: string[];
  acr?: string;
  authTime?: number;
  /**
   * Extension claims (vip_level, points, tags...), as named in librechat.yaml. A reserved name
   * (RESERVED_CLAIMS: sub, roles, email_verified, event, amr, ...) is refused with a TypeError.
   */
  extra?: Record<string, unknown>;
}
