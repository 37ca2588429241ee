/**
 * The whole sign-in world on loopback: a main-site stand-in and a chat (LibreChat stand-in, its
 * API on the real data-schemas and its SPA stand-in), sharing a parent-domain cookie. Used by
 * `npm start` and the CI browser walk. Real LibreChat takes the chat's place in
 * `scripts/verify-librechat.sh`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Mongoose } from 'mongoose';
import { createShinegoldSSO, loadConfig, ShinegoldSSO } from '@shinegold/librechat-sso';
import { createLibreChatStandIn } from './librechat';
import { createMainSite } from './main-site';

export interface WorldOptions {
  mongoose: Mongoose;
  dataSchemas: unknown;
  /** Host names the browser uses; both must resolve to loopback (default: localhost for both). */
  mainHost?: string;
  chatHost?: string;
  /** Cookie Domain for the parent cookie (e.g. `.shinegold.test`); default: the main host. */
  cookieDomain?: string;
  mainPort?: number;
  chatPort?: number;
  listenHost?: string;
  refreshMs?: number;
  audit?: (e: unknown) => void;
}

export interface World {
  main: string;
  chat: string;
  sso: ShinegoldSSO;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Listens first and takes its handler later: the origins (with ports) configure the apps. */
async function listenLate(port: number, host: string): Promise<{ server: Server; origin: (h: string) => string; use(h: Handler): void }> {
  let handler: Handler = (_q, r) => { r.statusCode = 503; r.end(); };
  const server = createServer((q, r) => handler(q, r));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const p = (server.address() as AddressInfo).port;
  return { server, origin: (h) => `http://${h}:${p}`, use: (h) => { handler = h; } };
}

export async function startWorld(o: WorldOptions): Promise<World> {
  const listenHost = o.listenHost ?? '127.0.0.1';
  const mainHost = o.mainHost ?? 'localhost';
  const chatHost = o.chatHost ?? 'localhost';
  const secret = randomBytes(32).toString('hex');
  const issuer = `http://${mainHost}`;
  const audience = chatHost;
  const chatSide = await listenLate(o.chatPort ?? 0, listenHost);
  const mainSide = await listenLate(o.mainPort ?? 0, listenHost);
  const chat = chatSide.origin(chatHost);
  const main = mainSide.origin(mainHost);

  // data-schemas signs LibreChat's tokens with process.env's secrets, as inside LibreChat.
  process.env.JWT_SECRET ||= randomBytes(32).toString('hex');
  process.env.JWT_REFRESH_SECRET ||= randomBytes(32).toString('hex');
  const env = {
    SHINEGOLD_JWT_SECRET: secret,
    JWT_SECRET: process.env.JWT_SECRET,
    JWT_REFRESH_SECRET: process.env.JWT_REFRESH_SECRET,
    DOMAIN_CLIENT: chat,
    DOMAIN_SERVER: chat,
    // The login entry, exactly as docker-compose.override.yml sets it for LibreChat.
    OPENID_CLIENT_ID: 'shinegold-sso',
    OPENID_CLIENT_SECRET: 'unused-by-shinegold-sso',
    OPENID_ISSUER: main,
    OPENID_SESSION_SECRET: randomBytes(16).toString('hex'),
    OPENID_AUTO_REDIRECT: 'true',
    OPENID_BUTTON_LABEL: 'Continue with shinegold.com',
  };
  const config = loadConfig(
    {
      providers: [{ name: 'shinegold', issuer, audience }],
      roles: { claim: 'roles', admin: ['admin'], map: { vip: 'VIP' }, known: ['VIP'] },
      extensions: { vipLevel: { claim: 'vip_level', type: 'number' }, tags: { claim: 'tags', type: 'string[]' } },
      session: { chatOrigin: chat, loginUrl: `${main}/login`, logoutUrl: `${main}/logout`, allowedReturnHosts: [new URL(chat).host] },
    },
    { env },
  );
  const sso = createShinegoldSSO({ config, mongoose: o.mongoose, dataSchemas: o.dataSchemas as never, audit: o.audit as never });
  await sso.store.ensureIndexes();
  chatSide.use(createLibreChatStandIn(sso, { env, refreshMs: o.refreshMs }) as unknown as Handler);
  mainSide.use(createMainSite({
    origin: main,
    issuer,
    audience,
    secret,
    cookieDomain: o.cookieDomain ?? mainHost,
    chatOrigin: chat,
    chatBackchannelBase: chatSide.origin(listenHost),
  }) as unknown as Handler);
  return {
    main,
    chat,
    sso,
    async close() {
      await Promise.all([chatSide.server, mainSide.server].map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(r); })));
    },
  };
}
