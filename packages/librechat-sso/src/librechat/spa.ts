import { safeReturnUrl } from '../session/return-url';

/**
 * Where a person who reached the login entry wanted to go. LibreChat's SPA leaves its login page
 * for `/oauth/openid` with no parameters; the page it leaves (`/login?redirect_to=/c/abc`) is in
 * the Referer of that same-origin navigation. Returns a chat path, or undefined (then: chat root).
 */
export function wantedFromReferer(referer: unknown, chatOrigin: string): string | undefined {
  if (typeof referer !== 'string' || referer.length > 4096) return undefined;
  let u: URL;
  try {
    u = new URL(referer);
  } catch {
    return undefined;
  }
  if (u.origin !== new URL(chatOrigin).origin) return undefined;
  const wanted = u.pathname === '/login' || u.pathname.startsWith('/login/') ? u.searchParams.get('redirect_to') : `${u.pathname}${u.search}`;
  if (!wanted || !wanted.startsWith('/') || wanted.startsWith('/login')) return undefined;
  // Only a path that stays on the chat origin, by the same check as every return URL.
  return safeReturnUrl(wanted, [], chatOrigin) ? wanted : undefined;
}
