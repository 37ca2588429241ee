import { randomBytes } from 'node:crypto';
import path from 'node:path';
import mongoose from 'mongoose';
import * as dataSchemas from '@librechat/data-schemas';
import { createStore, Store } from '../../packages/librechat-sso/src/store/models';

/**
 * A real database for one test file: its own mongoose instance and its own database name,
 * on the server `npm test` started (MONGO_URI). No mocks: users are made by data-schemas.
 */
export interface TestDb {
  mongoose: mongoose.Mongoose;
  store: Store;
  uri: string;
  drop(): Promise<void>;
}

export function testDbName(file: string): string {
  const base = path.basename(file).replace(/\.test\.ts$/, '').replace(/[^a-zA-Z0-9]/g, '_').slice(0, 30);
  return `t_${base}_${randomBytes(3).toString('hex')}`;
}

export function serverUri(): string {
  const uri = process.env.MONGO_URI;
  if (!uri) throw new Error('MONGO_URI is not set: run the tests with `npm test`, which starts a database.');
  return uri;
}

export function dbUri(name: string): string {
  const u = new URL(serverUri());
  u.pathname = `/${name}`;
  return u.toString();
}

export async function openTestDb(file: string): Promise<TestDb> {
  const m = new mongoose.Mongoose();
  m.set('strictQuery', false);
  const uri = dbUri(testDbName(file));
  await m.connect(uri, { autoIndex: false, serverSelectionTimeoutMS: 5000 });
  const store = createStore(m, dataSchemas as any);
  const report = await store.ensureIndexes();
  if (!report.ok) throw new Error(`indexes missing: ${report.missing.join(', ')}`);
  return {
    mongoose: m,
    store,
    uri,
    async drop() {
      await m.connection.dropDatabase().catch(() => undefined);
      await m.disconnect();
    },
  };
}

/**
 * The drivers with a heartbeat in flight, so a test cuts the database only when there is none:
 * LibreChat's MongoDB driver can stall for good when a connection is cut under an in-flight
 * heartbeat (docs/design.md, "When the database is away"), and the tests measure the add-on.
 * `idle()` resolves with no macrotask between it and the caller's next step (a cut in the same
 * tick), or after `maxMs` whatever the drivers do.
 */
export function heartbeatWatch() {
  const inFlight = new Set<unknown>();
  return {
    watch(m: mongoose.Mongoose): void {
      const client = m.connection.getClient();
      client.on('serverHeartbeatStarted', () => inFlight.add(client));
      for (const ended of ['serverHeartbeatSucceeded', 'serverHeartbeatFailed'] as const) client.on(ended, () => inFlight.delete(client));
    },
    async idle(maxMs = 15_000): Promise<void> {
      for (const until = Date.now() + maxMs; inFlight.size > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 5));
    },
  };
}
