/**
 * What the add-on needs to know of LibreChat itself: its environment variables, read once and in
 * one place, and the names it uses (cookies, routes, answers). Read from LibreChat v0.8.5 ...
 * upstream main (AuthService.setAuthTokens, AuthController.refreshController, routes/auth.js,
 * packages/api/src/oauth/csrf.ts, routes/config.js). Nothing outside `librechat/` knows these.
 */
export type Env = Record<string, string | undefined>;

/** LibreChat's own cookies (a main-site cookie must not be named like one of them). */
export const LIBRECHAT_COOKIES = { refresh: 'refreshToken', provider: 'token_provider', openidSession: 'connect.sid' } as const;
/** Where LibreChat mounts its auth router, and so ours (the auth.js patch). */
export const AUTH_MOUNT = '/api/auth';
/** LibreChat's "not logged in" answer to POST /api/auth/refresh (200, this body). */
export const NOT_LOGGED_IN = 'Refresh token not provided';
/** Paths under /api/auth that LibreChat's router or ours already answer. */
export const TAKEN_AUTH_PATHS = [
  '/login', '/logout', '/refresh', '/register', '/requestPasswordReset', '/resetPassword', '/graph-token',
  '/cloudfront/refresh', '/2fa', '/sso/login', '/sso/backchannel-logout', '/sso/lifecycle', '/sso/metrics', '/sso/usage', '/sso/refused',
];

export interface LibreChatEnvironment {
  /** JWT_REFRESH_SECRET: LibreChat signs its refresh tokens with it; the bridge too. */
  refreshSecret?: string;
  /** REFRESH_TOKEN_EXPIRY and SESSION_EXPIRY, in ms (LibreChat's defaults: 7 days, 15 minutes). */
  refreshTokenExpiryMs: number;
  sessionExpiryMs: number;
  /** Whether LibreChat marks its cookies Secure (shouldUseSecureCookie). */
  secureCookies: boolean;
  /** DOMAIN_CLIENT: the chat origin LibreChat knows. */
  domainClient?: string;
  /** LibreChat's LDAP login is on: its /login checks passwords against the directory. */
  ldapLogin: boolean;
  /** The OPENID_* variables that make the SPA's login page leave for /oauth/openid. */
  loginEntry: { clientSet: boolean; missing: string[]; autoRedirect: boolean; scopeSet: boolean };
}

const on = (v: string | undefined) => /^(true|1)$/i.test(v?.trim() ?? '');

/** LibreChat's `math()` for SESSION_EXPIRY / REFRESH_TOKEN_EXPIRY: a number or `a * b * c`. */
export function expiryMs(value: string | undefined, fallback: number): number {
  if (!value || !/^[\d\s*]+$/.test(value)) return fallback;
  const n = value.split('*').reduce((acc, part) => acc * Number(part.trim()), 1);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** LibreChat's shouldUseSecureCookie (packages/api/src/oauth/csrf.ts), same inputs. */
export function shouldUseSecureCookie(env: Env): boolean {
  const o = env.SESSION_COOKIE_SECURE?.trim().toLowerCase();
  if (o === 'true' || o === 'false') return o === 'true';
  if (env.NODE_ENV !== 'production') return false;
  let host = '';
  try {
    const d = env.DOMAIN_SERVER || '';
    host = d ? new URL(/^https?:\/\//i.test(d) ? d : `http://${d}`).hostname : '';
  } catch {
    host = '';
  }
  return !(host === 'localhost' || host === '127.0.0.1' || host === '::1' || host === '[::1]' || host.endsWith('.localhost'));
}

export function readLibreChatEnvironment(env: Env): LibreChatEnvironment {
  const missing = ['OPENID_CLIENT_ID', 'OPENID_ISSUER', 'OPENID_SESSION_SECRET'].filter((k) => !env[k]?.trim());
  if (!env.OPENID_CLIENT_SECRET?.trim() && !on(env.OPENID_USE_PKCE)) missing.push('OPENID_CLIENT_SECRET');
  return {
    refreshSecret: env.JWT_REFRESH_SECRET?.trim() ? env.JWT_REFRESH_SECRET : undefined,
    refreshTokenExpiryMs: expiryMs(env.REFRESH_TOKEN_EXPIRY, 7 * 24 * 3600 * 1000),
    sessionExpiryMs: expiryMs(env.SESSION_EXPIRY, 15 * 60 * 1000),
    secureCookies: shouldUseSecureCookie(env),
    domainClient: env.DOMAIN_CLIENT?.trim() || undefined,
    // LibreChat v0.8.x routes/auth.js: LDAP replaces the local strategy when both are set.
    ldapLogin: !!(env.LDAP_URL?.trim() && env.LDAP_USER_SEARCH_BASE?.trim()),
    loginEntry: { clientSet: missing.length === 0, missing, autoRedirect: on(env.OPENID_AUTO_REDIRECT), scopeSet: !!env.OPENID_SCOPE?.trim() },
  };
}
