import express from 'express';
import jwt from 'jsonwebtoken';
import type { ShinegoldSSO } from '../../packages/librechat-sso/src';
import { createAuthRouter } from '../../packages/librechat-sso/src/librechat';
import { createBackchannelRouter } from '../../packages/librechat-sso/src/librechat/backchannel';
import { createMetricsRouter } from '../../packages/librechat-sso/src/librechat/metrics';
import { parseCookies } from '../../packages/librechat-sso/src/token/extract';
import { isRevoked } from '../../packages/librechat-sso/src/session/revocation';

/**
 * A small stand-in for LibreChat's API, for CI (which has no LibreChat source): the real
 * data-schemas, and LibreChat v0.8.7's refresh and JWT behaviour re-implemented from reading
 * its AuthController.refreshController, AuthService.setAuthTokens and jwtStrategy. The add-on
 * is mounted exactly where the auth.js patch mounts it: before LibreChat's own /api/auth routes.
 * The access-token check applies `isRevoked` as `guardLibreChatJwt` does in LibreChat.
 * Answers from LibreChat's own handlers carry `x-harness: native` so tests can tell them apart.
 */
export function createHarness(sso: ShinegoldSSO) {
  const { methods } = sso.store;
  const app = express();
  const auth = express.Router();
  auth.use(createAuthRouter(sso));
  auth.use(createBackchannelRouter(sso));
  auth.use(createMetricsRouter(sso));

  auth.post('/refresh', async (req, res) => {
    res.set('x-harness', 'native');
    const cookies = parseCookies(req.headers.cookie);
    const refreshToken = cookies.get('refreshToken');
    if (!refreshToken) return res.status(200).send('Refresh token not provided');
    try {
      const payload = jwt.verify(refreshToken, process.env.JWT_REFRESH_SECRET!) as { id: string };
      const user = await methods.getUserById(payload.id, '-password -__v -totpSecret -backupCodes');
      if (!user) return res.status(401).redirect('/login');
      const session = await methods.findSession({ userId: payload.id, refreshToken }, { lean: false });
      if (!session || !(session.expiration > new Date())) return res.status(401).send('Refresh token expired or not found for this user');
      const next = await methods.generateRefreshToken!(session);
      const token = await methods.generateToken(user, 15 * 60 * 1000);
      const opts = { expires: new Date(session.expiration), httpOnly: true, secure: false, sameSite: 'strict' as const };
      res.cookie('refreshToken', next, opts);
      res.cookie('token_provider', 'librechat', opts);
      return res.status(200).send({ token, user });
    } catch {
      return res.status(403).send('Invalid refresh token');
    }
  });

  // LibreChat's logoutController after requireJwtAuth: ends the session, clears its cookies.
  auth.post('/logout', async (req, res) => {
    res.set('x-harness', 'native');
    const cookies = parseCookies(req.headers.cookie);
    if (cookies.has('refreshToken')) await methods.deleteSession({ refreshToken: cookies.get('refreshToken') }).catch(() => undefined);
    res.clearCookie('refreshToken');
    res.clearCookie('token_provider');
    return res.status(200).send({ message: 'Logout successful' });
  });
  auth.post('/login', (_req, res) => res.set('x-harness', 'native').status(200).send({ message: 'native login' }));

  app.use('/api/auth', auth);
  // requireJwtAuth: Bearer access token signed with JWT_SECRET, user looked up by id.
  app.get('/api/user', async (req, res) => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    try {
      const p = jwt.verify(m?.[1] ?? '', process.env.JWT_SECRET!) as { id: string; iat?: number };
      const user = await methods.getUserById(p.id, '-password -__v -totpSecret -backupCodes');
      // isRevoked is what guardLibreChatJwt adds to LibreChat's real jwt strategy.
      if (!user || isRevoked(user, p.iat)) return res.sendStatus(401);
      return res.json(user);
    } catch {
      return res.sendStatus(401);
    }
  });
  return app;
}

/**
 * Starts the stand-in on a fresh test database for one test file: the shinegold add-on built on
 * it, listening on a loopback port. LibreChat's own secrets are set as LibreChat reads them.
 */
export async function startHarness(file: string) {
  process.env.JWT_SECRET = process.env.JWT_SECRET || 'harness-access-secret-32-bytes-long!!';
  process.env.JWT_REFRESH_SECRET = process.env.JWT_REFRESH_SECRET || 'harness-refresh-secret-32-bytes-long!';
  const { openTestDb } = await import('../helpers/db');
  const { config } = await import('../helpers/tokens');
  const { createShinegoldSSO } = await import('../../packages/librechat-sso/src');
  const dataSchemas = await import('@librechat/data-schemas');
  const db = await openTestDb(file);
  const sso = createShinegoldSSO({ config: config(), mongoose: db.mongoose, dataSchemas: dataSchemas as any, audit: () => undefined });
  const server = createHarness(sso).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
  return {
    db,
    sso,
    base,
    async close() {
      await new Promise((r) => server.close(r));
      await db.drop();
    },
  };
}
