import net from 'node:net';
import mongoose from 'mongoose';
import * as dataSchemas from '@librechat/data-schemas';
import { createShinegoldSSO } from '../../src';
import { createStore } from '../../src/store/models';
import { createHarness } from '../../../../test/librechat-harness/server';
import { dbUri, heartbeatWatch, testDbName } from '../../../../test/helpers/db';
import { claims, config, sign } from '../../../../test/helpers/tokens';

/**
 * The database goes away in the middle of a storm of sign-ins (every connection to it cut, new
 * ones refused, for 12 s), as LibreChat connects to it (`bufferCommands: false`, the driver's own
 * 30 s server selection). Every answer still comes within 5 s, each refusal to serve is a 503
 * with Retry-After and a code, and once the database is back nothing is half-written: one user
 * per person, no creation lease left, no user without its mapping, and everyone signs in.
 */
process.env.JWT_SECRET ||= 'outage-access-secret-32-bytes-long!!!';
process.env.JWT_REFRESH_SECRET ||= 'outage-refresh-secret-32-bytes-long!!';

// The cut-able loopback proxy the contract suite and verify use (scripts/lib/cut-proxy.js).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { startCutProxy } = require('../../../../scripts/lib/cut-proxy');

/** Whether the connection answers a ping within 15 s (each try bounded to 2 s). */
async function connectionBack(m: mongoose.Mongoose): Promise<boolean> {
  for (const until = Date.now() + 15_000; Date.now() < until; ) {
    const ping = m.connection.db!.admin().ping().then(
      () => true,
      () => false,
    );
    if (await Promise.race([ping, new Promise<boolean>((r) => setTimeout(() => r(false), 2_000).unref())])) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

it('answers within 5 s while the database is gone, and leaves nothing half-written', async () => {
  const name = testDbName(__filename);
  const direct = new URL(dbUri(name));
  const proxy = await startCutProxy({ target: `${direct.hostname}:${direct.port}` });
  const viaProxy = new URL(direct.toString());
  viaProxy.port = String(proxy.port);
  const m = new mongoose.Mongoose();
  m.set('strictQuery', false);
  // As LibreChat connects (api/db/connect.js): no buffering, the driver's own monitoring.
  //
  // The MongoDB driver (6.20, the one LibreChat's mongoose brings) has a flaw this test met about
  // one run in four on a loaded machine: when the connection closes while the driver's monitor
  // has a heartbeat `hello` in flight on it, that check never ends, the monitor stops for good
  // and the pool stays paused after the database is back (seen: monitor state "monitoring" on a
  // closed connection, no heartbeat event for over 2 minutes). No code of ours can end that
  // check, and LibreChat would not reconnect either; docs/design.md says what an operator
  // does. The test cuts the database at a moment when no heartbeat is in flight
  // (test/helpers/db.ts heartbeatWatch), so it measures the add-on, not that flaw.
  await m.connect(viaProxy.toString(), { autoIndex: false, bufferCommands: false });
  await createStore(m, dataSchemas as any).ensureIndexes();
  const heartbeats = heartbeatWatch();
  heartbeats.watch(m);
  const sso = createShinegoldSSO({ config: config(), mongoose: m, dataSchemas: dataSchemas as any, audit: () => undefined });
  const server = createHarness(sso).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  const people = Array.from({ length: 40 }, (_, i) => `out-${i}`);
  const tokens = new Map(await Promise.all(people.map(async (p) => [p, await sign(claims({ sub: p, email: `${p}@example.com`, sid: `sid-${p}` }))] as const)));
  const answers: Array<{ ms: number; status: number; retryAfter: string | null; code?: string }> = [];
  const visit = async (p: string) => {
    const started = Date.now();
    const r = await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: `sg_session=${tokens.get(p)}` } });
    const text = await r.text();
    let code: string | undefined;
    try {
      code = JSON.parse(text).code;
    } catch {
      code = undefined;
    }
    answers.push({ ms: Date.now() - started, status: r.status, retryAfter: r.headers.get('retry-after'), code });
  };

  // The storm: people arrive one after another, four at a time; the database goes away a second in, for 12 s.
  const storm = (async () => {
    for (let i = 0; i < people.length; i += 4) {
      await Promise.all(people.slice(i, i + 4).map(visit));
      await new Promise((r) => setTimeout(r, 350));
    }
  })();
  await new Promise((r) => setTimeout(r, 1000));
  await heartbeats.idle();
  await proxy.cut();
  await new Promise((r) => setTimeout(r, 12_000));
  await proxy.restore();
  await storm;

  expect(answers).toHaveLength(people.length);
  expect(Math.max(...answers.map((a) => a.ms))).toBeLessThanOrEqual(5_000);
  const unavailable = answers.filter((a) => a.status === 503);
  expect(unavailable.length).toBeGreaterThan(0);
  for (const a of unavailable) expect([a.retryAfter, a.code]).toEqual(['5', 'SG_DB_UNAVAILABLE']);
  expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);

  // The driver's flaw above can still strike (a check begun in the instant before the driver saw
  // the cut): when the connection is not back 15 s after the database is, the process reconnects,
  // as the restart the flaw needs would, and says so. What follows holds either way.
  if (!(await connectionBack(m))) {
    process.stderr.write('outage test: the MongoDB driver did not reconnect (its monitor stalled, docs/design.md); reconnecting as a restarted process would\n');
    await m.disconnect();
    await m.connect(viaProxy.toString(), { autoIndex: false, bufferCommands: false });
    expect(await connectionBack(m)).toBe(true);
  }

  // Back: let the work that was cut off finish, then everyone signs in, once each. A 503 right
  // after the outage (work cut off still holding a creation lease) says Retry-After, and the
  // browser does retry: at most twice here.
  await new Promise((r) => setTimeout(r, 3_000));
  for (const p of people) {
    let r = await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: `sg_session=${tokens.get(p)}` } });
    for (let tries = 0; r.status === 503 && r.headers.get('retry-after') === '5' && tries < 2; tries++) {
      await new Promise((w) => setTimeout(w, 5_000));
      r = await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: `sg_session=${tokens.get(p)}` } });
    }
    const code = r.status === 200 ? undefined : ((await r.json().catch(() => ({}))) as { code?: string }).code;
    expect([p, r.status, code]).toEqual([p, 200, undefined]);
  }
  const check = new mongoose.Mongoose();
  await check.connect(direct.toString(), { autoIndex: false });
  const db = check.connection.db!;
  for (const p of people) expect([p, await db.collection('users').countDocuments({ shinegoldUserId: p })]).toEqual([p, 1]);
  expect(await db.collection('shinegold_identities').countDocuments({ claim: { $ne: null } })).toBe(0);
  const mapped = new Set((await db.collection('shinegold_identities').find({ userId: { $ne: null } }).toArray()).map((r) => String(r.userId)));
  const users = await db.collection('users').find({ shinegoldUserId: { $in: people } }).toArray();
  expect(users.filter((u) => !mapped.has(String(u._id))).map((u) => u.shinegoldUserId)).toEqual([]);

  await new Promise((r) => server.close(r));
  await m.disconnect();
  await check.connection.dropDatabase();
  await check.disconnect();
  await proxy.close();
}, 150_000);
