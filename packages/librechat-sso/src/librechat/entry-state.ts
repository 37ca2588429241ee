import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Response } from 'express';
import type { ShinegoldConfig } from '../config/schema';
import { parseCookies } from '../token/extract';

/**
 * The little state the login entry keeps in the browser, on the chat host only:
 * - the refusal hint: why the session bridge just said "not logged in" (a code), so the login
 *   entry, where LibreChat's SPA goes next, can tell the person instead of sending them round;
 * - the bounce count: how often the entry sent this browser to the main-site login in the last
 *   minutes, so a cycle ends within two round trips whatever the main site does.
 * Both are HMAC-signed (a key derived from JWT_REFRESH_SECRET) and short-lived; on https they
 * carry the `__Host-` prefix, which no other host under the parent domain can set or overwrite.
 */
const HINT_SECONDS = 120;
const BOUNCE_SECONDS = 120;

function signer(secret: string, purpose: string) {
  const key = createHmac('sha256', secret).update(`shinegold-sso ${purpose}`).digest();
  const mac = (s: string) => createHmac('sha256', key).update(s).digest('base64url').slice(0, 22);
  return {
    seal: (value: string) => `${value}.${mac(value)}`,
    open(sealed: string | undefined): string | undefined {
      if (!sealed) return undefined;
      const at = sealed.lastIndexOf('.');
      if (at < 1) return undefined;
      const value = sealed.slice(0, at);
      const given = Buffer.from(sealed.slice(at + 1));
      const want = Buffer.from(mac(value));
      return given.length === want.length && timingSafeEqual(given, want) ? value : undefined;
    },
  };
}

export function entryCookieName(config: ShinegoldConfig, secure: boolean, what: 'hint' | 'bounce'): string {
  return `${secure ? '__Host-' : ''}${config.cookieName}-${what}`;
}

export function refusalHint(config: ShinegoldConfig, secret: string, secure: boolean, clock: () => number) {
  const name = entryCookieName(config, secure, 'hint');
  const s = signer(secret, 'refusal hint');
  const opts = { httpOnly: true, secure, sameSite: 'lax' as const, path: '/' };
  return {
    set(res: Response, code: string) {
      res.cookie(name, s.seal(`${code}.${clock() + HINT_SECONDS}`), { ...opts, maxAge: HINT_SECONDS * 1000 });
    },
    clear(res: Response) {
      res.clearCookie(name, opts);
    },
    read(cookieHeader: string | undefined): string | undefined {
      const v = s.open(parseCookies(cookieHeader).get(name));
      const m = v && /^(SG_[A-Z_]+)\.(\d+)$/.exec(v);
      return m && Number(m[2]) >= clock() ? m[1] : undefined;
    },
  };
}

export function bounceCounter(config: ShinegoldConfig, secret: string, secure: boolean, clock: () => number) {
  const name = entryCookieName(config, secure, 'bounce');
  const s = signer(secret, 'bounce count');
  const opts = { httpOnly: true, secure, sameSite: 'lax' as const, path: '/' };
  return {
    /** Round trips to the main-site login in the current window. */
    read(cookieHeader: string | undefined): number {
      const v = s.open(parseCookies(cookieHeader).get(name));
      const m = v && /^(\d+)\.(\d+)$/.exec(v);
      return m && Number(m[2]) >= clock() ? Number(m[1]) : 0;
    },
    set(res: Response, count: number) {
      res.cookie(name, s.seal(`${count}.${clock() + BOUNCE_SECONDS}`), { ...opts, maxAge: BOUNCE_SECONDS * 1000 });
    },
    clear(res: Response) {
      res.clearCookie(name, opts);
    },
  };
}

/**
 * Clears every copy of the main site's cookie this request could have carried: for each path
 * that is a prefix of the request's path (a browser sends a cookie whose path is a prefix), with
 * the parent domain and without a domain. The person's real cookie goes too; the main site
 * sets it again at the next sign-in, and a planted one is gone.
 */
export function clearParentCookies(res: Response, config: ShinegoldConfig, requestPath: string): void {
  const path = requestPath.split('?')[0] || '/';
  const prefixes = new Set<string>(['/']);
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const p = `/${parts.slice(0, i).join('/')}`;
    prefixes.add(p);
    prefixes.add(`${p}/`);
  }
  for (const p of prefixes) {
    res.clearCookie(config.cookieName, { path: p });
    if (config.cookieDomain && !config.cookieDomain.match(/^[\d.]+$/)) res.clearCookie(config.cookieName, { path: p, domain: config.cookieDomain });
  }
}
