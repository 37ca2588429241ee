import passport from 'passport';
import jwt from 'jsonwebtoken';
import { Strategy as JwtStrategy, ExtractJwt } from 'passport-jwt';
import { guardLibreChatJwt, installJwtGuard } from '../../src/librechat/jwt-guard';

/**
 * The guard on a real passport-jwt strategy registered the way LibreChat's jwtStrategy.js
 * registers it (Bearer token, JWT_SECRET, verify(payload, done) that loads the user).
 */
const SECRET = 'access-secret-for-the-guard-test-32b!';
const users: Record<string, any> = { u1: { _id: 'u1', shinegoldRevokedBefore: 2_000_000_000 }, u2: { _id: 'u2' } };

function run(p: passport.PassportStatic, token: string): Promise<{ user: unknown; info: unknown }> {
  return new Promise((resolve, reject) => {
    const req: any = { headers: { authorization: `Bearer ${token}` } };
    p.authenticate('jwt', { session: false }, (err: unknown, user: unknown, info: unknown) => (err ? reject(err) : resolve({ user, info })))(req, {} as any, reject);
  });
}

it('refuses a token issued before the user\'s logout and passes the others through', async () => {
  const p = new passport.Passport() as unknown as passport.PassportStatic;
  p.use(new JwtStrategy({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: SECRET }, (payload: any, done: any) => done(null, users[payload.id] ?? false)));
  expect(guardLibreChatJwt(p as any)).toBe(true);
  expect(guardLibreChatJwt(p as any)).toBe(true); // idempotent
  const revoked = await run(p, jwt.sign({ id: 'u1' }, SECRET, { expiresIn: 60 }));
  expect(revoked.user).toBe(false);
  expect(revoked.info).toEqual({ code: 'SG_SESSION_REVOKED' });
  const fresh = await run(p, jwt.sign({ id: 'u1', iat: 2_000_000_001, exp: 2_000_000_900 }, SECRET));
  expect(fresh.user).toMatchObject({ _id: 'u1' });
  expect((await run(p, jwt.sign({ id: 'u2' }, SECRET, { expiresIn: 60 }))).user).toMatchObject({ _id: 'u2' });
});

it('wraps nothing when LibreChat has no jwt strategy', () => {
  expect(guardLibreChatJwt(new passport.Passport() as any)).toBe(false);
});

it('marks the next second, so a token issued earlier in the same second is refused too', () => {
  const { revocationMark, isRevoked } = require('../../src/session/revocation');
  const mark = revocationMark(1_000);
  expect(isRevoked({ shinegoldRevokedBefore: mark }, 1_000)).toBe(true);
  expect(isRevoked({ shinegoldRevokedBefore: mark }, 1_001)).toBe(false);
  // Always forward, even twice in one second: other replicas see that something happened.
  expect(revocationMark(1_000, mark)).toBeGreaterThan(mark);
});

it("guards LibreChat's jwt strategy registered after the add-on loaded (a fresh replica refuses revoked tokens from its first request)", async () => {
  // LibreChat requires its routes (our mount) before startServer() registers passport's strategies.
  const p = new passport.Passport() as unknown as passport.PassportStatic;
  expect(installJwtGuard(p as any)).toBe(false);
  expect(installJwtGuard(p as any)).toBe(false); // wraps passport.use once
  p.use(new JwtStrategy({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: SECRET }, (payload: any, done: any) => done(null, users[payload.id] ?? false)));
  const revoked = await run(p, jwt.sign({ id: 'u1' }, SECRET, { expiresIn: 60 }));
  expect(revoked).toEqual({ user: false, info: { code: 'SG_SESSION_REVOKED' } });
  expect((await run(p, jwt.sign({ id: 'u2' }, SECRET, { expiresIn: 60 }))).user).toMatchObject({ _id: 'u2' });
});

it('guards a strategy whose verify takes the request first (upstream main: passReqToCallback)', async () => {
  const p = new passport.Passport() as unknown as passport.PassportStatic;
  installJwtGuard(p as any);
  p.use('jwt', new JwtStrategy({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: SECRET, passReqToCallback: true }, (_req: any, payload: any, done: any) => done(null, users[payload.id] ?? false)));
  expect(await run(p, jwt.sign({ id: 'u1' }, SECRET, { expiresIn: 60 }))).toEqual({ user: false, info: { code: 'SG_SESSION_REVOKED' } });
  expect((await run(p, jwt.sign({ id: 'u1', iat: 2_000_000_001, exp: 2_000_000_900 }, SECRET))).user).toMatchObject({ _id: 'u1' });
});
