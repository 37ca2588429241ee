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
import { createShinegoldSSO, ShinegoldConfig, ShinegoldSSO } from '@shinegold/librechat-sso';
import { signingProvider } from './demo-config';
import { createLibreChatStandIn } from './librechat';
import { createMainSite } from './main-site';

type Env = Record<string, string | undefined>;

export interface WorldOptions {
  mongoose: Mongoose;
  dataSchemas: unknown;
  /**
   * The loaded configuration (`loadConfig`, `loadDemoConfig`), or a function of the world's
   * origins that returns it (when a port is 0, the origins are known only once listening).
   * Its session URLs must be this world's: chatOrigin the chat, loginUrl the main site.
   */
  config: ShinegoldConfig | ((origins: { main: string; chat: string }) => ShinegoldConfig);
  /** LibreChat's variables (JWT_SECRET, SHINEGOLD_METRICS_TOKEN, ...) for the chat (default: process.env). */
  env?: Env;
  /** The provider the main site signs for (default: the first active one with a secret). */
  provider?: string;
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
  /** The main site sends a logged-in person at /login straight back to chat (as the kit recommends). */
  forwardLoggedIn?: boolean;
}

export interface World {
  main: string;
  chat: string;
  sso: ShinegoldSSO;
  /** What the main site signs with: the provider's issuer and audience. */
  issuer: string;
  audience: string;
  /** LibreChat's variables the chat runs with (JWT_REFRESH_SECRET, OPENID_*, DOMAIN_*...): what the doctor checks. */
  librechatEnv: Readonly<Env>;
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

const closeAll = (servers: Server[]) =>
  Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(r); })));

/** The config's session must point at this world, or the flow would leave it. */
function checkSession(config: ShinegoldConfig, main: string, chat: string) {
  const { session } = config;
  if (session.chatOrigin !== chat) throw new Error(`the configuration's session.chatOrigin is ${session.chatOrigin}, but the chat listens at ${chat}`);
  if (new URL(session.loginUrl).origin !== main) throw new Error(`the configuration's session.loginUrl is ${session.loginUrl}, but the main site listens at ${main}`);
}

export async function startWorld(o: WorldOptions): Promise<World> {
  const listenHost = o.listenHost ?? '127.0.0.1';
  const mainHost = o.mainHost ?? 'localhost';
  const chatHost = o.chatHost ?? 'localhost';
  const chatSide = await listenLate(o.chatPort ?? 0, listenHost);
  const mainSide = await listenLate(o.mainPort ?? 0, listenHost).catch(async (e) => {
    await closeAll([chatSide.server]);
    throw e;
  });
  const chat = chatSide.origin(chatHost);
  const main = mainSide.origin(mainHost);
  try {
    const config = typeof o.config === 'function' ? o.config({ main, chat }) : o.config;
    checkSession(config, main, chat);
    const { provider, secret } = signingProvider(config, o.provider);
    const given = o.env ?? process.env;

    // data-schemas signs LibreChat's tokens with process.env's secrets, as inside LibreChat.
    process.env.JWT_SECRET ||= given.JWT_SECRET || randomBytes(32).toString('hex');
    process.env.JWT_REFRESH_SECRET ||= given.JWT_REFRESH_SECRET || randomBytes(32).toString('hex');
    const env: Env = {
      SHINEGOLD_METRICS_TOKEN: given.SHINEGOLD_METRICS_TOKEN,
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
    const sso = createShinegoldSSO({ config, mongoose: o.mongoose, dataSchemas: o.dataSchemas as never, audit: o.audit as never });
    await sso.store.ensureIndexes();
    chatSide.use(createLibreChatStandIn(sso, { env, refreshMs: o.refreshMs }) as unknown as Handler);
    mainSide.use(createMainSite({
      origin: main,
      issuer: provider.issuer,
      audience: provider.audience,
      secret,
      cookieName: config.cookieName,
      returnParam: config.session.returnParam,
      cookieDomain: o.cookieDomain ?? mainHost,
      chatOrigin: chat,
      chatBackchannelBase: chatSide.origin(listenHost),
      forwardLoggedIn: o.forwardLoggedIn,
    }) as unknown as Handler);
    return {
      main,
      chat,
      sso,
      issuer: provider.issuer,
      audience: provider.audience,
      librechatEnv: Object.freeze({ ...env }),
      close: async () => { await closeAll([chatSide.server, mainSide.server]); },
    };
  } catch (e) {
    await closeAll([chatSide.server, mainSide.server]);
    throw e;
  }
}
