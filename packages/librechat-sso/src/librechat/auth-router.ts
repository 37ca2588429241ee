/**
 * The router the add-on mounts first in LibreChat's `/api/auth` (auth.js patch): the session
 * bridge on `/refresh`, the login entry, the chat -> main-site logout, and, while SSO is enforced,
 * LibreChat's own local-account routes closed (except the break-glass hand-over). LibreChat's
 * behaviour reproduced here was read from its AuthService.setAuthTokens, refreshController and
 * logoutController (v0.8.5 ... upstream main):
 * - cookies `refreshToken` and `token_provider=librechat`: HttpOnly, SameSite=Strict, Secure per
 *   shouldUseSecureCookie, expiring with the session;
 * - the refresh answer `{ token, user }`; "not logged in" is 200 `Refresh token not provided`.
 */
import type { NextFunction, Request, Response, Router } from 'express';
import type { ShinegoldSSO } from '../index';
import { withDeadline } from '../deadline';
import { createBridge } from '../session/bridge';
import { createBreakGlassRouter, isBreakGlassLogin, isBreakGlassTwoFactor } from './break-glass';
import { Env, LIBRECHAT_COOKIES, NOT_LOGGED_IN, readLibreChatEnvironment } from './environment';
import { createEntry } from './entry';
import { bounceCounter, clearParentCookies, refusalHint } from './entry-state';
import { readSession, sanitizeUser } from './session-cookie';

export function createAuthRouter(sso: ShinegoldSSO, opts: { env?: Env } = {}): Router {
  // Required lazily so the core never loads Express.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const env = opts.env ?? process.env;
  const lc = readLibreChatEnvironment(env);
  if (!lc.refreshSecret) throw new TypeError('JWT_REFRESH_SECRET is not set (LibreChat needs it too).');
  const refreshSecret = lc.refreshSecret;
  const bridge = createBridge({
    authenticator: sso.authenticator,
    provisioner: sso.provisioner,
    store: sso.store,
    audit: sso.audit,
    cookieName: sso.config.cookieName,
    credits: sso.credits,
    options: { refreshTokenExpiryMs: lc.refreshTokenExpiryMs, sessionExpiryMs: lc.sessionExpiryMs },
  });
  const hint = refusalHint(sso.config, refreshSecret, lc.secureCookies, sso.clock);
  const bounces = bounceCounter(sso.config, refreshSecret, lc.secureCookies, sso.clock);
  const router: Router = express.Router();
  const cookieOpts = (expires: Date) => ({ expires, httpOnly: true, secure: lc.secureCookies, sameSite: 'strict' as const });

  router.post('/refresh', async (req: Request, res: Response, next: NextFunction) => {
    // Within a bounded time, whatever the database does (deadline.ts). The bridge's own work is
    // always tried (the deadline bounds it, and it is what finds the database back); LibreChat's
    // own refresh is not asked while the connection is known to be down (it would wait for it).
    const decided = await withDeadline(bridge.decide({ cookieHeader: req.headers.cookie, session: readSession(req.headers.cookie, refreshSecret) })).catch(
      (e: { code?: string }) => ({ kind: 'unavailable', code: e?.code ?? 'SG_DB_UNAVAILABLE' }) as const,
    );
    const down = sso.store.mongoose.connection.readyState !== 1;
    const d = decided.kind === 'passthrough' && down ? ({ kind: 'unavailable', code: 'SG_DB_UNAVAILABLE' } as const) : decided;
    switch (d.kind) {
      case 'passthrough':
        return next();
      case 'login':
        res.cookie(LIBRECHAT_COOKIES.refresh, d.refreshToken, cookieOpts(d.expires));
        res.cookie(LIBRECHAT_COOKIES.provider, 'librechat', cookieOpts(d.expires));
        hint.clear(res);
        bounces.clear(res);
        return res.status(200).send({ token: d.token, user: sanitizeUser(d.user) });
      case 'logout':
        res.clearCookie(LIBRECHAT_COOKIES.refresh);
        res.clearCookie(LIBRECHAT_COOKIES.provider);
        // The login entry, where the SPA goes next, tells the person why (entry.ts).
        hint.set(res, d.code);
        if (d.clearParent) clearParentCookies(res, sso.config, req.originalUrl);
        return res.status(200).send(NOT_LOGGED_IN);
      case 'unavailable':
        res.set('Retry-After', '5');
        return res.status(503).send({ message: 'Sign-in is temporarily unavailable.', code: d.code });
    }
  });
  const { session } = sso.config;

  // Login entry (entry.ts): the main-site login coming back to a checked return URL, or the page
  // that tells a refused person why.
  const entry = createEntry(sso, env);
  router.get('/sso/login', (req: Request, res: Response) => entry(req, res, req.query[session.returnParam]));

  // chat -> main logout: LibreChat's own logoutController ends the chat session; its answer
  // gains `redirect`, which the SPA follows (AuthContext: window.location.replace), to the
  // main site's logout, which clears the parent cookie.
  router.post('/logout', (_req: Request, res: Response, next: NextFunction) => {
    const send = res.send.bind(res);
    res.send = ((body: unknown) => {
      if (res.statusCode < 400 && body && typeof body === 'object' && !Buffer.isBuffer(body)) {
        const u = new URL(session.logoutUrl);
        u.searchParams.set(session.returnParam, `${session.chatOrigin}/`);
        (body as Record<string, unknown>).redirect = u.toString();
        sso.metrics.logouts.inc({ direction: 'chat', outcome: 'accepted' });
        sso.audit({ event: 'logout.chat', outcome: 'success' });
      }
      return send(body as never);
    }) as Response['send'];
    next();
  });

  // While SSO is enforced, every LibreChat route that logs in with, registers, resets or sets a
  // local password is closed; only the break-glass path (off unless configured) hands a request
  // to LibreChat's /login, and a 2FA step only for what that hand-over started. A password reset
  // would otherwise give anyone who knows an email a local password for that account (LibreChat
  // answers the reset link itself when no email service is configured). The answer is 401, not
  // 403: LibreChat's login page shows any 403 as "temporarily banned".
  if (sso.config.enforce) {
    router.use(createBreakGlassRouter(sso, { env }));
    const closed = (req: Request, res: Response, next: NextFunction) => {
      if (isBreakGlassLogin(req) || isBreakGlassTwoFactor(req)) return next();
      sso.audit({ event: 'breakglass.refused', outcome: 'failure', code: 'SG_LOCAL_LOGIN_DISABLED', detail: { path: req.path } });
      return res.status(401).set('Cache-Control', 'no-store').send({ message: 'Sign in on the main site: this chat uses single sign-on.', code: 'SG_LOCAL_LOGIN_DISABLED' });
    };
    for (const path of ['/login', '/register', '/requestPasswordReset', '/resetPassword', '/2fa/verify-temp']) router.post(path, closed);
  }
  return router;
}
