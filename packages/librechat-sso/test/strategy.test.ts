import express from 'express';
import passport from 'passport';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import * as dataSchemas from '@librechat/data-schemas';
import { createShinegoldSSO } from '../src';
import { openTestDb, TestDb } from '../../../test/helpers/db';
import { claims, config, sign } from '../../../test/helpers/tokens';

/** A JSON answer's body, for reading its fields. */
const json = async (r: Response): Promise<Record<string, any>> => (await r.json()) as Record<string, any>;

/** The strategy as passport means it, mounted in a real Express app on a real database. */
let db: TestDb;
let server: http.Server;
let base = '';
let lost: TestDb;

function app(sso: ReturnType<typeof createShinegoldSSO>, name: string) {
  const p = new passport.Passport();
  p.use(name, sso.strategy);
  const a = express();
  a.get('/me', p.authenticate(name, { session: false, failWithError: true }), (req, res) => {
    res.json({ id: (req.user as any).id, email: (req.user as any).email });
  });
  a.use((err: any, _req: any, res: any, _next: any) => res.status(err.status || 500).json({ code: err.code ?? 'FAIL' }));
  return a;
}

beforeAll(async () => {
  db = await openTestDb(__filename);
  lost = await openTestDb(__filename);
  const good = createShinegoldSSO({ config: config(), mongoose: db.mongoose, dataSchemas: dataSchemas as any, audit: () => undefined });
  const broken = createShinegoldSSO({ config: config(), mongoose: lost.mongoose, dataSchemas: dataSchemas as any, audit: () => undefined });
  const root = express();
  root.use('/ok', app(good, 'shinegold'));
  root.use('/down', app(broken, 'shinegold'));
  server = root.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await lost.mongoose.disconnect();
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await db.drop();
});

it('is named shinegold', async () => {
  const sso = createShinegoldSSO({ config: config(), mongoose: db.mongoose, dataSchemas: dataSchemas as any });
  expect(sso.strategy.name).toBe('shinegold');
});

it('succeeds with the LibreChat user for a good cookie, and for a Bearer header', async () => {
  const token = await sign(claims({ sub: 'strat-1', email: 'strat@example.com' }));
  const r1 = await fetch(`${base}/ok/me`, { headers: { cookie: `sg_session=${token}` } });
  expect(r1.status).toBe(200);
  const body = await json(r1);
  expect(body.email).toBe('strat@example.com');
  const r2 = await fetch(`${base}/ok/me`, { headers: { authorization: `Bearer ${token}` } });
  expect((await json(r2)).id).toBe(body.id);
});

it('fails with 401 for a missing or bad token', async () => {
  expect((await fetch(`${base}/ok/me`)).status).toBe(401);
  const expired = await sign(claims({ exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 4000 }));
  expect((await fetch(`${base}/ok/me`, { headers: { cookie: `sg_session=${expired}` } })).status).toBe(401);
});

it('errors with 503 (not 401) when the database is down', async () => {
  const token = await sign(claims({ sub: 'strat-2', email: 'strat2@example.com' }));
  const r = await fetch(`${base}/down/me`, { headers: { cookie: `sg_session=${token}` } });
  expect(r.status).toBe(503);
  expect((await json(r)).code).toBe('SG_DB_UNAVAILABLE');
});
