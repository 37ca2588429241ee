/**
 * The login entry the real SPA honours. LibreChat's SPA decides "not logged in" on its own and
 * navigates to `/login` client-side: no server route sees that. The one exit the SPA has from
 * its login page is the OpenID auto-redirect (client `Login.tsx`): when `/api/config` reports
 * `openidLoginEnabled` and `openidAutoRedirect`, it sets `window.location.href` to
 * `${serverDomain}/oauth/openid`. So the deployment sets the OPENID_* variables that make
 * `/api/config` say so (without OPENID_SCOPE, LibreChat configures no OpenID client), and the
 * oauth.js patch mounts this router first: `/oauth/openid` sends the browser to the main site's
 * login page with a checked return URL. See README "Why the OpenID auto-redirect".
 */
import type { Request, Response, Router } from 'express';
import type { ShinegoldConfig } from '../config/schema';
import { loginRedirect, wantedFromReferer } from '../session/return-url';

export function createOAuthEntryRouter(config: ShinegoldConfig, onUse?: (where: string) => void): Router {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const router: Router = express.Router();
  const { session } = config;
  const toLogin = (req: Request, res: Response) => {
    const wanted = wantedFromReferer(req.headers.referer, session.chatOrigin);
    const back = wanted ? `${session.chatOrigin.replace(/\/$/, '')}${wanted}` : undefined;
    onUse?.(req.path);
    res.set('Cache-Control', 'no-store');
    res.redirect(302, loginRedirect(session.loginUrl, session.returnParam, back, session.allowedReturnHosts, session.chatOrigin));
  };
  router.get('/openid', toLogin);
  // Nothing calls back here in this set-up; a stale bookmark still ends on the main-site login.
  router.get('/openid/callback', toLogin);
  return router;
}

/**
 * The environment that makes LibreChat's `/api/config` turn the SPA's login page into the
 * auto-redirect above. Returns problems in sentences (empty when fine).
 */
export function loginEntryProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const missing = ['OPENID_CLIENT_ID', 'OPENID_ISSUER', 'OPENID_SESSION_SECRET'].filter((k) => !env[k]?.trim());
  if (!env.OPENID_CLIENT_SECRET?.trim() && !/^(true|1)$/i.test(env.OPENID_USE_PKCE ?? '')) missing.push('OPENID_CLIENT_SECRET');
  if (missing.length) {
    problems.push(
      `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set: LibreChat's login page then shows its own form instead of sending people to the main-site login (set the values from docker-compose.override.yml; they configure no OpenID client).`,
    );
  }
  if (!/^(true|1)$/i.test(env.OPENID_AUTO_REDIRECT ?? '')) {
    problems.push('OPENID_AUTO_REDIRECT is not true: LibreChat\'s login page would wait for a click instead of going to the main-site login.');
  }
  if (env.OPENID_SCOPE?.trim()) {
    problems.push('OPENID_SCOPE is set: LibreChat would configure a real OpenID client against OPENID_ISSUER, which conflicts with the shinegold login entry. Remove OPENID_SCOPE.');
  }
  return problems;
}
