/**
 * A stand-in for LibreChat's API and SPA, for CI (which has no LibreChat source) and `npm start`.
 * The data layer is real (`@librechat/data-schemas` on a real database); LibreChat v0.8.7's
 * sign-in behaviour is re-implemented from reading its AuthController.refreshController,
 * AuthService.setAuthTokens, LogoutController, jwtStrategy and routes/config.js. The add-on is
 * mounted where the patches mount it: first in `/api/auth` (auth.js patch) and first in
 * `/oauth` (oauth.js patch). Answers from LibreChat's own handlers carry `x-harness: native`,
 * so tests can tell them from the add-on's. `scripts/verify-librechat.sh` proves the same on
 * real LibreChat.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import type { ShinegoldSSO } from '@shinegold/librechat-sso';
import { createGlobalGuard, createOAuthEntryRouter, createSsoRouter, isRevoked, parseCookies } from '@shinegold/librechat-sso/librechat';
import { spaHtml } from './spa';

type Env = Record<string, string | undefined>;
const USER_FIELDS = '-password -__v -totpSecret -backupCodes';

export interface StandInOptions {
  env?: Env;
  /** How often the SPA stand-in refreshes (LibreChat: when the access token runs out). */
  refreshMs?: number;
  /** false: LibreChat as if unpatched (the benchmark's baseline). Default true. */
  addon?: boolean;
  /** LibreChat's `balance.enabled` (default true): GET /api/balance answers 204 when off. */
  balanceEnabled?: boolean;
}

/**
 * The stand-in's password hash for local accounts (LibreChat uses bcrypt; the add-on never reads
 * a password either way, so the stand-in keeps to node:crypto).
 */
export function hashPassword(password: string): string {
  const salt = randomBytes(8).toString('hex');
  return `scrypt$${salt}$${scryptSync(password, salt, 32).toString('hex')}`;
}

function passwordMatches(stored: unknown, password: string): boolean {
  const [kind, salt, hash] = String(stored ?? '').split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  return timingSafeEqual(Buffer.from(hash, 'hex'), scryptSync(password, salt, 32));
}

/** LibreChat v0.8.7 routes/config.js, the pre-login fields the login page reads. */
export function preLoginConfig(env: Env) {
  const on = (v: string | undefined) => /^(true|1)$/i.test(v ?? '');
  return {
    appTitle: env.APP_TITLE || 'LibreChat',
    serverDomain: env.DOMAIN_SERVER || 'http://localhost:3080',
    emailLoginEnabled: env.ALLOW_EMAIL_LOGIN === undefined || on(env.ALLOW_EMAIL_LOGIN),
    registrationEnabled: on(env.ALLOW_REGISTRATION),
    openidLoginEnabled:
      !!env.OPENID_CLIENT_ID && (on(env.OPENID_USE_PKCE) || !!env.OPENID_CLIENT_SECRET?.trim()) && !!env.OPENID_ISSUER && !!env.OPENID_SESSION_SECRET,
    openidLabel: env.OPENID_BUTTON_LABEL || 'Continue with OpenID',
    openidAutoRedirect: on(env.OPENID_AUTO_REDIRECT),
  };
}

export function createLibreChatStandIn(sso: ShinegoldSSO, opts: StandInOptions = {}): Express {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const env = opts.env ?? process.env;
  const { methods } = sso.store;
  const app: Express = express();
  // LibreChat's global noIndex middleware, where the fifth patch calls the add-on's guard.
  if (opts.addon !== false) {
    const guard = createGlobalGuard(sso.config, env);
    app.use((req: Request, res: Response, next: () => void) => (guard(req, res) ? undefined : next()));
  }
  const auth = express.Router();
  if (opts.addon !== false) auth.use(createSsoRouter(sso, env));

  auth.post('/refresh', async (req: Request, res: Response) => {
    res.set('x-harness', 'native');
    const cookies = parseCookies(req.headers.cookie);
    const refreshToken = cookies.get('refreshToken');
    if (!refreshToken) return res.status(200).send('Refresh token not provided');
    try {
      const payload = jwt.verify(refreshToken, env.JWT_REFRESH_SECRET!) as { id: string };
      const user = await methods.getUserById(payload.id, USER_FIELDS);
      if (!user) return res.status(401).redirect('/login');
      const session = await methods.findSession({ userId: payload.id, refreshToken }, { lean: false });
      if (!session || !(session.expiration > new Date())) return res.status(401).send('Refresh token expired or not found for this user');
      const next = await methods.generateRefreshToken!(session);
      const token = await methods.generateToken(user, 15 * 60 * 1000);
      const cookieOpts = { expires: new Date(session.expiration), httpOnly: true, secure: false, sameSite: 'strict' as const };
      res.cookie('refreshToken', next, cookieOpts);
      res.cookie('token_provider', 'librechat', cookieOpts);
      return res.status(200).send({ token, user });
    } catch {
      return res.status(403).send('Invalid refresh token');
    }
  });

  // LibreChat's logoutController after requireJwtAuth: ends the session, clears its cookies.
  auth.post('/logout', async (req: Request, res: Response) => {
    res.set('x-harness', 'native');
    const cookies = parseCookies(req.headers.cookie);
    if (cookies.has('refreshToken')) await methods.deleteSession({ refreshToken: cookies.get('refreshToken') }).catch(() => undefined);
    res.clearCookie('refreshToken');
    res.clearCookie('token_provider');
    return res.status(200).send({ message: 'Logout successful' });
  });
  // LibreChat's local login (requireLocalAuth, then loginController's setAuthTokens). It only
  // answers what the add-on hands over while SSO is enforced (break-glass).
  auth.post('/login', express.json(), async (req: Request, res: Response) => {
    res.set('x-harness', 'native');
    const user = await methods.findUser({ email: String(req.body?.email ?? '').trim() }, '+password');
    if (!user?.password) return res.status(404).send({ message: 'Email does not exist.' });
    if (!passwordMatches(user.password, String(req.body?.password ?? ''))) return res.status(401).send({ message: 'Incorrect password.' });
    const { session, refreshToken } = await methods.createSession(String(user._id));
    const token = await methods.generateToken(user, 15 * 60 * 1000);
    const cookieOpts = { expires: new Date(session.expiration), httpOnly: true, secure: false, sameSite: 'strict' as const };
    res.cookie('refreshToken', refreshToken, cookieOpts);
    res.cookie('token_provider', 'librechat', cookieOpts);
    const { password: _p, ...safe } = typeof user.toObject === 'function' ? user.toObject() : user;
    return res.status(200).send({ token, user: safe });
  });

  app.use('/api/auth', auth);
  if (opts.addon !== false) app.use('/oauth', createOAuthEntryRouter(sso, env));
  app.get('/api/config', (_req: Request, res: Response) => res.json(preLoginConfig(env)));
  // requireJwtAuth: Bearer access token signed with JWT_SECRET, user looked up by id.
  app.get('/api/user', async (req: Request, res: Response) => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    try {
      const p = jwt.verify(m?.[1] ?? '', env.JWT_SECRET!) as { id: string; iat?: number };
      const user = await methods.getUserById(p.id, USER_FIELDS);
      // isRevoked is what guardLibreChatJwt adds to LibreChat's real jwt strategy.
      if (!user || isRevoked(user, p.iat)) return res.sendStatus(401);
      return res.json(user);
    } catch {
      return res.sendStatus(401);
    }
  });
  // LibreChat v0.8.7 routes/balance.js: requireJwtAuth, then controllers/Balance.js (the balance
  // document without its _id; the refill fields only while auto-refill is on; 204 with balances off).
  app.get('/api/balance', async (req: Request, res: Response) => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    let userId: string;
    try {
      const p = jwt.verify(m?.[1] ?? '', env.JWT_SECRET!) as { id: string; iat?: number };
      const user = await methods.getUserById(p.id, USER_FIELDS);
      if (!user || isRevoked(user, p.iat)) return res.sendStatus(401);
      userId = p.id;
    } catch {
      return res.sendStatus(401);
    }
    if (opts.balanceEnabled === false) return res.sendStatus(204);
    const doc = await sso.store.Balance.findOne({ user: userId }).sort({ _id: 1 }).lean<Record<string, unknown>>();
    if (!doc) return res.status(404).json({ error: 'Balance not found' });
    const { _id, ...result } = doc;
    if (!result.autoRefillEnabled) for (const k of ['refillIntervalValue', 'refillIntervalUnit', 'lastRefill', 'refillAmount']) delete result[k];
    return res.status(200).json(result);
  });
  const html = spaHtml(opts.refreshMs ?? 5_000);
  app.get(['/', '/login', '/c/*rest'], (_req: Request, res: Response) => res.type('html').set('Cache-Control', 'no-store').send(html));
  return app;
}
