/**
 * The login entry the real SPA honours. LibreChat's SPA decides "not logged in" on its own and
 * navigates to `/login` client-side: no server route sees that. The one exit the SPA has from
 * its login page is the OpenID auto-redirect (client `Login.tsx`): when `/api/config` reports
 * `openidLoginEnabled` and `openidAutoRedirect`, it sets `window.location.href` to
 * `${serverDomain}/oauth/openid`. So the deployment sets the OPENID_* variables that make
 * `/api/config` say so (without OPENID_SCOPE, LibreChat configures no OpenID client), and the
 * oauth.js patch mounts this router first: `/oauth/openid` is the login entry (entry.ts).
 */
import type { Request, Response, Router } from 'express';
import type { ShinegoldSSO } from '../index';
import { createEntry } from './entry';
import type { Env } from './environment';
import { wantedFromReferer } from './spa';

/** LibreChat's other login providers under /oauth (v0.8.5 ... main). */
const SOCIAL = ['google', 'facebook', 'github', 'discord', 'apple', 'saml'];

export function createOAuthEntryRouter(sso: ShinegoldSSO, env: Env = process.env): Router {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const router: Router = express.Router();
  const entry = createEntry(sso, env);
  const { session } = sso.config;
  const fromSpa = (req: Request, res: Response) => {
    const wanted = wantedFromReferer(req.headers.referer, session.chatOrigin);
    return entry(req, res, wanted ? `${session.chatOrigin}${wanted}` : undefined);
  };
  router.get('/openid', fromSpa);
  // Nothing calls back here in this set-up; a stale bookmark still ends at the entry.
  router.get('/openid/callback', fromSpa);
  // While SSO is enforced, LibreChat's other social logins (if an operator left one configured)
  // would create or log into accounts beside the main site: they lead to the entry instead, and a
  // provider's callback is refused.
  if (sso.config.enforce) {
    for (const p of SOCIAL) {
      router.get(`/${p}`, fromSpa);
      router.all(`/${p}/callback`, (_req: Request, res: Response) =>
        res.status(401).set('Cache-Control', 'no-store').json({ message: 'Sign in on the main site: this chat uses single sign-on.', code: 'SG_LOCAL_LOGIN_DISABLED' }),
      );
    }
  }
  return router;
}
