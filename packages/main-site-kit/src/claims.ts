import type { MainSiteUser } from './types';

/**
 * Claims the kit sets itself or chat reads specially: an `extra` claim of one of these names
 * would override who the person is (`sub`), what they may do (`roles`, `amr`), whether their
 * email links an account (`email_verified`), or turn a login token into a lifecycle or logout
 * token (`event`, `events`). Such a key in `extra` is refused, never silently dropped: the
 * main site's code is wrong and should hear so.
 */
export const RESERVED_CLAIMS: readonly string[] = Object.freeze([
  // JWT registered claims (RFC 7519) and the session id
  'iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti', 'sid',
  // the profile the kit writes from MainSiteUser
  'email', 'email_verified', 'name', 'preferred_username', 'picture', 'roles',
  // lifecycle and back-channel logout tokens
  'event', 'events', 'user', 'dry_run',
  // how the person logged in (OIDC Core 1.0 §2, RFC 8176)
  'amr', 'acr', 'auth_time', 'nonce',
]);

const RESERVED = new Set(RESERVED_CLAIMS);

/** The `extra` claims, or a TypeError naming every reserved key found in them. */
export function extraClaims(extra: MainSiteUser['extra']): Record<string, unknown> {
  if (extra === undefined) return {};
  if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
    throw new TypeError('main-site-kit: extra must be an object of extension claims (vip_level, points, ...)');
  }
  const clashes = Object.keys(extra).filter((k) => RESERVED.has(k));
  if (clashes.length > 0) {
    const names = clashes.map((k) => `"${k}"`).join(', ');
    throw new TypeError(
      `main-site-kit: extra ${clashes.length === 1 ? 'claim' : 'claims'} ${names} ${clashes.length === 1 ? 'is' : 'are'} reserved ` +
        '(the kit sets it or chat reads it specially); use the MainSiteUser field instead, or give the extension claim another name',
    );
  }
  return { ...extra };
}

/** The profile as login-token claims: the same names `signLoginToken` writes. */
export function profileClaims(user: MainSiteUser): Record<string, unknown> {
  const extra = extraClaims(user.extra);
  return {
    ...extra,
    email: user.email,
    email_verified: user.emailVerified,
    ...(user.name ? { name: user.name } : {}),
    ...(user.username ? { preferred_username: user.username } : {}),
    ...(user.avatar ? { picture: user.avatar } : {}),
    ...(user.roles ? { roles: user.roles } : {}),
  };
}

/** auth_time values above this are milliseconds (year 5138 in seconds): a common slip. */
const MAX_SECONDS = 1e11;

/**
 * How the person logged in on the main site, from its own session: `amr` (RFC 8176 values:
 * pwd, otp, mfa, hwk, ...), `acr` and `auth_time` (seconds). Only for the login token: a
 * lifecycle call describes a profile, not a login. Each is checked; a wrong one is a TypeError.
 */
export function authenticationClaims(user: Pick<MainSiteUser, 'amr' | 'acr' | 'authTime'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (user.amr !== undefined) {
    if (!Array.isArray(user.amr) || !user.amr.every((v) => typeof v === 'string' && v.trim() !== '')) {
      throw new TypeError('main-site-kit: amr must be a list of non-empty strings (RFC 8176 values such as pwd, otp, mfa, hwk)');
    }
    out.amr = [...user.amr];
  }
  if (user.acr !== undefined) {
    if (typeof user.acr !== 'string' || user.acr.trim() === '') throw new TypeError('main-site-kit: acr must be a non-empty string');
    out.acr = user.acr;
  }
  if (user.authTime !== undefined) {
    const t = user.authTime;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
      throw new TypeError('main-site-kit: authTime must be the login time in whole seconds since the epoch');
    }
    if (t > MAX_SECONDS) throw new TypeError('main-site-kit: authTime looks like milliseconds; give seconds (Math.floor(ms / 1000))');
    out.auth_time = t;
  }
  return out;
}
