import type { Request, Response } from 'express';
import type { ShinegoldConfig } from '../config/schema';
import { AUTH_MOUNT } from './environment';

/**
 * What the add-on needs of every request LibreChat answers, not only those under /api/auth and
 * /oauth: run from LibreChat's global `noIndex` middleware (api/server/middleware/noIndex.js, the
 * fifth patch: a file unchanged since 2023, applied with `app.use` before every route, static
 * file and the SPA). Returns true when it answered the request itself.
 *
 * 1. Framing: chat may be framed only by itself and the origins in `shinegold.embedding`
 *    (`Content-Security-Policy: frame-ancestors`), on every answer, the SPA's included.
 * 2. Tenant: LibreChat up to v0.8.8-rc1 trusts an `X-Tenant-Id` request header on /api/auth and
 *    /oauth unconditionally; the add-on's lookups would run in a tenant the browser chose. The
 *    header is removed there unless TRUST_TENANT_HEADER=true (upstream main's own opt-in).
 * 3. While SSO is enforced, every way into a local account that is not under /api/auth is
 *    closed too: the admin panel's own logins (/api/admin/login/local, /api/admin/oauth/*) and
 *    email verification (/api/user/verify*); LibreChat's own sign-in pages, loaded as a page
 *    (`/login?redirect=false`, `/register`, `/forgot-password`, `/reset-password`), lead to the
 *    login entry instead of forms that cannot work.
 */
const CLOSED_PREFIXES = ['/api/admin/login', '/api/admin/oauth', '/api/user/verify'];
const SPA_FORMS = ['/register', '/forgot-password', '/reset-password'];

export function frameAncestors(config: ShinegoldConfig): string {
  return ["'self'", ...config.embedding.frameAncestors].join(' ');
}

function isPageLoad(req: Request): boolean {
  const dest = req.headers['sec-fetch-dest'];
  if (typeof dest === 'string') return dest === 'document' || dest === 'iframe';
  return req.method === 'GET' && /text\/html/.test(String(req.headers.accept ?? ''));
}

export function createGlobalGuard(config: ShinegoldConfig, env: Record<string, string | undefined>) {
  const ancestors = frameAncestors(config);
  const trustTenant = /^(true|1)$/i.test(env.TRUST_TENANT_HEADER ?? '');
  return function guard(req: Request, res: Response): boolean {
    res.setHeader('Content-Security-Policy', `frame-ancestors ${ancestors}`);
    if (config.embedding.frameAncestors.length === 0) res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    const path = (req.path ?? req.url ?? '').split('?')[0];
    if (!trustTenant && (path.startsWith(`${AUTH_MOUNT}/`) || path.startsWith('/oauth/')) && req.headers['x-tenant-id'] !== undefined) {
      delete req.headers['x-tenant-id'];
    }
    if (!config.enforce) return false;
    if (CLOSED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) {
      res.status(401).set('Cache-Control', 'no-store').json({ message: 'Sign in on the main site: this chat uses single sign-on.', code: 'SG_LOCAL_LOGIN_DISABLED' });
      return true;
    }
    const form = SPA_FORMS.includes(path) || (path === '/login' && /(^|&)redirect=false(&|$)/.test(String(req.url).split('?')[1] ?? ''));
    if (form && req.method === 'GET' && isPageLoad(req)) {
      res.set('Cache-Control', 'no-store');
      res.redirect(302, '/oauth/openid');
      return true;
    }
    return false;
  };
}
