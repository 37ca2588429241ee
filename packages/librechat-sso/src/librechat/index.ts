/**
 * The LibreChat adapter: the only place that knows LibreChat's routes, cookies and answers.
 * The patch to LibreChat's `api/server/routes/auth.js` mounts `createAuthRouter(sso)` before
 * LibreChat's own handlers. LibreChat v0.8.7 behaviour reproduced here (read from its
 * AuthService.setAuthTokens, AuthController.refreshController and LogoutController):
 * - cookies `refreshToken` and `token_provider=librechat`: HttpOnly, SameSite=Strict, Secure per
 *   `shouldUseSecureCookie`, expiring with the session;
 * - the refresh answer `{ token, user }`; "not logged in" is 200 `Refresh token not provided`.
 */
import type { Request, Response, NextFunction, Router } from 'express';
import { createBridge, BridgeOptions } from '../session/bridge';
import { loginRedirect } from '../session/return-url';
import { createBreakGlassRouter, isBreakGlassLogin } from './break-glass';
import type { ShinegoldSSO } from '../index';

/** LibreChat's shouldUseSecureCookie (packages/api/src/oauth/csrf.ts), same inputs. */
export function shouldUseSecureCookie(env: Record<string, string | undefined> = process.env): boolean {
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

/** LibreChat's `math()` for SESSION_EXPIRY / REFRESH_TOKEN_EXPIRY: a number or `a * b * c`. */
export function expiryMs(value: string | undefined, fallback: number): number {
  if (!value) return fallback;
  if (!/^[\d\s*]+$/.test(value)) return fallback;
  const n = value.split('*').reduce((acc, part) => acc * Number(part.trim()), 1);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function bridgeOptionsFromEnv(env: Record<string, string | undefined> = process.env): BridgeOptions {
  if (!env.JWT_REFRESH_SECRET) throw new TypeError('JWT_REFRESH_SECRET is not set (LibreChat needs it too).');
  return {
    refreshSecret: env.JWT_REFRESH_SECRET,
    refreshTokenExpiryMs: expiryMs(env.REFRESH_TOKEN_EXPIRY, 7 * 24 * 3600 * 1000),
    sessionExpiryMs: expiryMs(env.SESSION_EXPIRY, 15 * 60 * 1000),
  };
}

/** Express router mounted at LibreChat's `/api/auth`, before its own routes. */
export function createAuthRouter(sso: ShinegoldSSO, opts: { env?: Record<string, string | undefined> } = {}): Router {
  // Required lazily so the core never loads Express.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const env = opts.env ?? process.env;
  const bridge = createBridge({
    authenticator: sso.authenticator,
    store: sso.store,
    audit: sso.audit,
    cookieName: sso.config.cookieName,
    options: bridgeOptionsFromEnv(env),
  });
  const router: Router = express.Router();
  const cookieOpts = (expires: Date) => ({ expires, httpOnly: true, secure: shouldUseSecureCookie(env), sameSite: 'strict' as const });

  router.post('/refresh', async (req: Request, res: Response, next: NextFunction) => {
    const d = await bridge.decide(req.headers.cookie);
    switch (d.kind) {
      case 'passthrough':
        return next();
      case 'login':
        res.cookie('refreshToken', d.refreshToken, cookieOpts(d.expires));
        res.cookie('token_provider', 'librechat', cookieOpts(d.expires));
        return res.status(200).send({ token: d.token, user: d.user });
      case 'logout':
        res.clearCookie('refreshToken');
        res.clearCookie('token_provider');
        return res.status(200).send('Refresh token not provided');
      case 'unavailable':
        res.set('Retry-After', '5');
        return res.status(503).send({ message: 'Sign-in is temporarily unavailable.', code: d.code });
    }
  });
  const { session } = sso.config;

  // Login entry: the main site's login page, coming back to a checked return URL.
  router.get('/sso/login', (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    res.redirect(302, loginRedirect(session.loginUrl, session.returnParam, req.query[session.returnParam], session.allowedReturnHosts, session.chatOrigin));
  });

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

  // While SSO is enforced, LibreChat's own password login and registration are closed, except
  // for a request the break-glass path (off unless configured) handed to LibreChat's /login.
  if (sso.config.enforce) {
    router.use(createBreakGlassRouter(sso));
    const closed = (req: Request, res: Response, next: NextFunction) =>
      isBreakGlassLogin(req)
        ? next()
        : res.status(403).send({ message: 'Sign in on shinegold.com: this chat uses single sign-on.', code: 'SG_LOCAL_LOGIN_DISABLED' });
    router.post('/login', closed);
    router.post('/register', closed);
  }
  return router;
}
export { extendLibreChatSchemas, shinegoldAuthRouter, shinegoldOAuthRouter, loadMountConfig, createSsoRouter } from './mount';
export { createOAuthEntryRouter, loginEntryProblems } from './oauth-entry';
// For stand-ins and tests that mount the pieces one by one, as the patches' mount does.
export { createBackchannelRouter } from './backchannel';
export { createMetricsRouter } from './metrics';
export { isRevoked, guardLibreChatJwt } from '../session/revocation';
export { parseCookies } from '../token/extract';
export type { MountOptions } from './mount';
