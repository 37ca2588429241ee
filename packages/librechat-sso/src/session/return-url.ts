/**
 * Return URLs (after the main-site login, after logout) are checked against an allowlist of
 * hosts, in the manner of oauth2-proxy's --whitelist-domain. Pure.
 *
 * Accepted: a path on the chat origin (`/c/new?x=1`), or an absolute http(s) URL whose host is
 * on the allowlist (exact, lower-case; https only unless the chat origin itself is http).
 * Refused: protocol-relative (`//evil`), backslash tricks (`/\evil`, `\\evil`), other schemes
 * (`javascript:`), look-alike hosts (`shinegold.com.evil.com`), credentials in the URL,
 * control characters, and any of these percent-encoded or in mixed case.
 */
export function safeReturnUrl(raw: unknown, allowedHosts: readonly string[], chatOrigin: string): string | undefined {
  if (typeof raw !== 'string' || raw === '' || raw.length > 2048) return undefined;
  let value = raw;
  // Decode up to twice to see through %2F%2F and %252F; any control character refuses.
  for (let i = 0; i < 2; i++) {
    try {
      const decoded = decodeURIComponent(value);
      if (decoded === value) break;
      value = decoded;
    } catch {
      return undefined;
    }
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value) || value.includes('\\')) return undefined;
  const origin = new URL(chatOrigin);
  if (value.startsWith('/')) {
    if (value.startsWith('//')) return undefined;
    const u = new URL(value, origin);
    if (u.origin !== origin.origin) return undefined;
    return u.toString();
  }
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && origin.protocol === 'http:')) return undefined;
  if (u.username || u.password) return undefined;
  if (!allowedHosts.includes(u.host.toLowerCase())) return undefined;
  return u.toString();
}

/** The main-site login URL with a checked return URL (the chat root when the one given is refused). */
export function loginRedirect(loginUrl: string, returnParam: string, raw: unknown, allowedHosts: readonly string[], chatOrigin: string): string {
  const back = safeReturnUrl(raw, allowedHosts, chatOrigin) ?? `${chatOrigin.replace(/\/$/, '')}/`;
  const u = new URL(loginUrl);
  u.searchParams.set(returnParam, back);
  return u.toString();
}
