import type { NextFunction, Request, Response, Router } from 'express';
import type { ShinegoldSSO } from '../index';

/**
 * Break-glass: while SSO is enforced (LibreChat's /login and /register answer 403), a named
 * local LibreChat admin may still log in with its password, for when the main site is down.
 *
 * Contract:
 * - only when `shinegold.breakGlass.enabled` (off by default), only with POST to the configured
 *   path (under /api/auth, where the add-on's router is mounted), body `{ email, password }` as
 *   for LibreChat's own login;
 * - only for an account found exactly as LibreChat's local strategy finds it
 *   (`findUser({ email: email.trim() })`) whose email is listed, whose role is ADMIN, and which
 *   the main site does not govern (no shinegold link): a banned or deleted main-site user can
 *   never come in this way;
 * - the password is never read here: the request is handed to LibreChat's own `POST /login`
 *   route (rate limiter, ban check, local strategy, 2FA, token issue), which decides;
 * - every attempt is audited: `breakglass.refused` (with the reason, never the password), or
 *   `breakglass.used` with LibreChat's answer status once it is sent.
 * A refusal answers the same 403 whatever the reason, so the path reveals no account.
 */
/**
 * What makes break-glass impossible in this LibreChat, in sentences (listed at start with the
 * other problems). With LDAP login on (LDAP_URL and LDAP_USER_SEARCH_BASE, as LibreChat v0.8.7's
 * routes/auth.js decides), LibreChat's /login checks the password against the directory and
 * never against the local account, so a listed local admin could not come in when it matters.
 */
export function breakGlassProblems(breakGlass: { enabled: boolean }, env: Record<string, string | undefined>): string[] {
  if (!breakGlass.enabled) return [];
  if (env.LDAP_URL?.trim() && env.LDAP_USER_SEARCH_BASE?.trim()) {
    return [
      "shinegold.breakGlass.enabled is true but LibreChat's LDAP login is on (LDAP_URL and LDAP_USER_SEARCH_BASE are set): LibreChat's /login then checks passwords against LDAP, never a local account, so break-glass could not let a local admin in. Turn one of them off.",
    ];
  }
  return [];
}

const HANDED_OVER = Symbol.for('shinegold-sso.breakGlass');

/** True for a request break-glass handed to LibreChat's /login (the closed /login lets it pass). */
export function isBreakGlassLogin(req: Request): boolean {
  return (req as unknown as Record<symbol, unknown>)[HANDED_OVER] === true && req.path === '/login';
}

export function createBreakGlassRouter(sso: ShinegoldSSO): Router {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const router: Router = express.Router();
  const { enabled, users, path } = sso.config.breakGlass;
  if (!enabled) return router;
  const listed = new Set(users);
  const relative = path.slice('/api/auth'.length);

  const refuse = (req: Request, res: Response, reason: string, userId?: string) => {
    sso.audit({ event: 'breakglass.refused', outcome: 'failure', code: 'SG_BREAK_GLASS_REFUSED', userId, detail: { reason, ip: req.ip } });
    sso.metrics.breakGlass.inc({ outcome: 'refused' });
    res.set('Cache-Control', 'no-store');
    return res.status(403).json({ message: 'Break-glass login is not allowed.', code: 'SG_BREAK_GLASS_REFUSED' });
  };
  // Parsers skip a body LibreChat's app-level parsers already read; an unreadable body is refused.
  const parse = (parser: Function) => (req: Request, res: Response, next: NextFunction) =>
    parser(req, res, (err?: unknown) => (err ? refuse(req, res, 'unreadable body') : next()));

  router.post(
    relative,
    parse(express.json({ limit: '8kb' })),
    parse(express.urlencoded({ extended: false, limit: '8kb' })),
    async (req: Request, res: Response, next: NextFunction) => {
      const email = req.body?.email;
      if (typeof email !== 'string' || email.trim() === '' || typeof req.body?.password !== 'string') {
        return refuse(req, res, 'email or password missing');
      }
      let user: Record<string, any> | null;
      try {
        user = await sso.store.methods.findUser({ email: email.trim() }, '_id email role provider shinegoldUserId');
      } catch {
        sso.audit({ event: 'breakglass.refused', outcome: 'error', code: 'SG_DB_UNAVAILABLE', detail: { ip: req.ip } });
        return res.status(503).set('Cache-Control', 'no-store').json({ message: 'Sign-in is temporarily unavailable.', code: 'SG_DB_UNAVAILABLE' });
      }
      if (!user) return refuse(req, res, 'no such account');
      const userId = String(user._id);
      if (!listed.has(String(user.email ?? '').toLowerCase())) return refuse(req, res, 'not on the break-glass list', userId);
      if (user.role !== 'ADMIN') return refuse(req, res, 'not an ADMIN', userId);
      if (user.shinegoldUserId || user.provider === 'shinegold') return refuse(req, res, 'linked to a shinegold account', userId);

      res.once('finish', () => {
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        sso.audit({ event: 'breakglass.used', outcome: ok ? 'success' : 'failure', userId, detail: { status: res.statusCode, ip: req.ip } });
      });
      sso.metrics.breakGlass.inc({ outcome: 'handed_over' });
      // LibreChat's /login reads exactly the user checked above.
      req.body.email = email.trim();
      (req as unknown as Record<symbol, unknown>)[HANDED_OVER] = true;
      req.url = '/login';
      return next();
    },
  );
  return router;
}
