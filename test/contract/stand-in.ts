import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import path from 'node:path';
import mongoose from 'mongoose';
import * as dataSchemas from '@librechat/data-schemas';
import { createShinegoldSSO } from '../../packages/librechat-sso/src';
import { loadConfig } from '../../packages/librechat-sso/src/config/load';
import { createLibreChatStandIn, hashPassword } from '../../packages/sandbox/src';
import { heartbeatWatch, openTestDb } from '../helpers/db';
import { freePort, Target } from './target';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { startCutProxy } = require('../../scripts/lib/cut-proxy');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { contractSection } = require('../../scripts/lib/contract-config');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const yaml = require('js-yaml');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { readFileSync } = require('node:fs');

/**
 * The CI target: two replicas of the LibreChat stand-in (packages/sandbox) on one test database,
 * each with its own add-on instance (its own caches) and its own connection, reaching the
 * database through a proxy the suite can cut. The section is the one real LibreChat gets
 * (scripts/lib/contract-config.js); hosts are chat.shinegold.test and shinegold.test on loopback.
 */
export async function standInTarget(): Promise<Target> {
  process.env.JWT_SECRET ||= randomBytes(32).toString('hex');
  process.env.JWT_REFRESH_SECRET ||= randomBytes(32).toString('hex');
  const secret = randomBytes(32).toString('hex');
  const [chatPort, mainPort] = [await freePort(), await freePort()];
  const chatOrigin = `http://chat.shinegold.test:${chatPort}`;
  const base = yaml.load(readFileSync(path.join(__dirname, '../../librechat.yaml'), 'utf8')).shinegold;
  const section = contractSection(base, { issuer: 'https://sso.verify.test', audience: 'chat.verify.test', chatOrigin, mainOrigin: `http://shinegold.test:${mainPort}` });
  const config = loadConfig(section, { env: { SHINEGOLD_JWT_SECRET: secret } });
  const env = {
    JWT_SECRET: process.env.JWT_SECRET,
    JWT_REFRESH_SECRET: process.env.JWT_REFRESH_SECRET,
    DOMAIN_CLIENT: chatOrigin,
    DOMAIN_SERVER: chatOrigin,
    OPENID_CLIENT_ID: 'shinegold-sso',
    OPENID_CLIENT_SECRET: 'unused-by-shinegold-sso',
    OPENID_ISSUER: 'https://sso.verify.test',
    OPENID_SESSION_SECRET: randomBytes(16).toString('hex'),
    OPENID_AUTO_REDIRECT: 'true',
  };

  const db = await openTestDb(__filename);
  const direct = new URL(db.uri);
  const proxy = await startCutProxy({ target: `${direct.hostname}:${direct.port}` });
  const viaProxy = new URL(db.uri);
  viaProxy.port = String(proxy.port);

  const running: Array<{ server: Server; m: mongoose.Mongoose }> = [];
  // The database is cut only while no replica's driver has a heartbeat in flight (heartbeatWatch).
  const heartbeats = heartbeatWatch();
  const cut = async () => {
    await heartbeats.idle();
    await proxy.cut();
  };
  /** One replica: its own mongoose connection, add-on instance and HTTP server. */
  const replica = async (port = 0) => {
    const m = new mongoose.Mongoose();
    m.set('strictQuery', false);
    // As LibreChat connects: no buffering while disconnected, the driver's own heartbeat.
    await m.connect(viaProxy.toString(), { autoIndex: false, bufferCommands: false, serverSelectionTimeoutMS: 30_000 });
    heartbeats.watch(m);
    const sso = createShinegoldSSO({ config, mongoose: m, dataSchemas: dataSchemas as never, audit: () => undefined });
    await sso.store.ensureIndexes();
    const server = createServer(createLibreChatStandIn(sso, { env, refreshMs: 1000 }) as never);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    const entry = { server, m };
    running.push(entry);
    const stop = async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await m.disconnect();
      running.splice(running.indexOf(entry), 1);
    };
    return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, stop };
  };
  const replicas = [(await replica(chatPort)).base, (await replica()).base];
  return {
    kind: 'stand-in',
    label: 'the LibreChat stand-in (2 replicas)',
    replicas,
    chatOrigin,
    config,
    secret,
    mongoUri: db.uri,
    hashPassword: async (pw) => hashPassword(pw),
    startReplica: () => replica(),
    database: { cut, restore: () => proxy.restore() },
    close: async () => {
      for (const r of [...running]) {
        r.server.closeAllConnections();
        await new Promise((done) => r.server.close(done));
        await r.m.disconnect();
      }
      await proxy.close();
      await db.drop();
    },
  };
}
