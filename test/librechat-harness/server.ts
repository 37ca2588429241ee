import type { ShinegoldSSO } from '../../packages/librechat-sso/src';
import { createLibreChatStandIn } from '../../packages/sandbox/src';

/**
 * The LibreChat stand-in for CI tests (packages/sandbox: the real data-schemas, LibreChat
 * v0.8.7's refresh, logout and JWT behaviour re-implemented from its source, the add-on mounted
 * where the patches mount it). Answers from LibreChat's own handlers carry `x-harness: native`.
 */
export function createHarness(sso: ShinegoldSSO) {
  return createLibreChatStandIn(sso);
}

/**
 * Starts the stand-in on a fresh test database for one test file: the shinegold add-on built on
 * it, listening on a loopback port. LibreChat's own secrets are set as LibreChat reads them.
 */
export async function startHarness(file: string, opts: { config?: Record<string, unknown>; db?: import('../helpers/db').TestDb } = {}) {
  process.env.JWT_SECRET = process.env.JWT_SECRET || 'harness-access-secret-32-bytes-long!!';
  process.env.JWT_REFRESH_SECRET = process.env.JWT_REFRESH_SECRET || 'harness-refresh-secret-32-bytes-long!';
  const { openTestDb } = await import('../helpers/db');
  const { config } = await import('../helpers/tokens');
  const { createShinegoldSSO } = await import('../../packages/librechat-sso/src');
  const dataSchemas = await import('@librechat/data-schemas');
  // `db`: a second process (a replica) on another harness's database; it leaves the database alone on close.
  const db = opts.db ?? (await openTestDb(file));
  const sso = createShinegoldSSO({ config: config(opts.config), mongoose: db.mongoose, dataSchemas: dataSchemas as any, audit: () => undefined });
  const server = createHarness(sso).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
  return {
    db,
    sso,
    base,
    async close() {
      await new Promise((r) => server.close(r));
      if (!opts.db) await db.drop();
    },
  };
}
