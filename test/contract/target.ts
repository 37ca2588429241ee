import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ShinegoldConfig } from '../../packages/librechat-sso/src/config/schema';
import { createMainSite } from '../../packages/sandbox/src';
import type { MainSiteUser } from '../../packages/main-site-kit/src';

/**
 * What the contract suite runs against: a chat (one or more replicas on one database) that
 * claims to keep the add-on's promises. Two kinds, one suite (oauth2-proxy runs one session-store
 * suite against every store the same way):
 * - the stand-in (`npm test`): packages/sandbox's LibreChat stand-in, two replicas, each with its
 *   own add-on instance and its own database connection, on the test database (stand-in.ts);
 * - real LibreChat (`npm run verify:librechat`, `npm run verify:image`): processes someone else
 *   started, described by the environment (remote.ts).
 * The suite starts the main site itself (the sandbox's main-site stand-in, built on the kit), on
 * the origin of the chat's `session.loginUrl`.
 */
export interface Target {
  kind: 'stand-in' | 'librechat';
  label: string;
  /** Loopback base URLs of the chat's replicas (at least one). */
  replicas: string[];
  /** The origin the browser uses for chat (DOMAIN_CLIENT); its host resolves to loopback. */
  chatOrigin: string;
  /** The `shinegold:` section the chat runs with, as our own loader reads it. */
  config: ShinegoldConfig;
  /** The provider's HS key (the main site signs with it). */
  secret: string;
  /** The chat's database: the suite reads it as an operator would, and prepares test accounts. */
  mongoUri: string;
  /** A password hash the chat's own local login accepts (for the break-glass accounts). */
  hashPassword?: (password: string) => Promise<string>;
  /** Starts one more chat process on the same database (a replica started later). */
  startReplica?: () => Promise<{ base: string; stop(): Promise<void> }>;
  /** Takes the database away from every replica, and gives it back. */
  database?: { cut(): Promise<void>; restore(): Promise<void> };
  close(): Promise<void>;
}

/** Why a promise could not be checked on this target; printed, never a silent pass. */
export function skipped(what: string, why: string): void {
  process.stdout.write(`contract: NOT CHECKED on this target: ${what} (${why})\n`);
}

/** This run's people: fresh ids and emails, so a run never meets an earlier run's accounts. */
export function runPeople(run = randomBytes(4).toString('hex')): Record<string, Omit<MainSiteUser, 'sid'>> {
  return {
    ada: { id: `sg-${run}-1001`, email: `ada-${run}@shinegold.test`, emailVerified: true, name: 'Ada Lovelace', username: `ada${run}`, roles: ['admin'], amr: ['pwd', 'otp'] },
    bob: { id: `sg-${run}-1002`, email: `bob-${run}@shinegold.test`, emailVerified: true, name: 'Bob Builder', username: `bob${run}`, roles: ['vip'] },
    cy: { id: `sg-${run}-1003`, email: `cy-${run}@shinegold.test`, emailVerified: true, name: 'Cy Member', username: `cy${run}`, roles: [] },
  };
}

export interface MainSite {
  origin: string;
  people: Record<string, Omit<MainSiteUser, 'sid'>>;
  /** true: a logged-in person sent to /login with a return URL goes straight back (the kit's advice). */
  forwarding: boolean;
  close(): Promise<void>;
}

/**
 * The main-site stand-in on the chat's configured login origin (listening on loopback), signing
 * with the target's key for this run's people, its cookie on the parent domain of both hosts.
 */
export async function startMainSite(t: Target, people = runPeople()): Promise<MainSite> {
  const login = new URL(t.config.session.loginUrl);
  const chat = new URL(t.chatOrigin);
  const provider = t.config.providers.find((p) => p.primary) ?? t.config.providers[0];
  const site: MainSite = { origin: login.origin, people, forwarding: false, close: async () => undefined };
  const app = createMainSite({
    origin: login.origin,
    issuer: provider.issuer,
    audience: provider.audience,
    secret: t.secret,
    cookieName: t.config.cookieName,
    returnParam: t.config.session.returnParam,
    cookieDomain: `.${login.hostname}`,
    chatOrigin: chat.origin,
    chatBackchannelBase: t.replicas[0],
    users: people,
    forwardLoggedIn: () => site.forwarding,
  });
  const server: Server = createServer(app as never);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(login.port || 80), '127.0.0.1', () => resolve());
  });
  site.close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  return site;
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** The target this run checks: real LibreChat when the environment names one, else the stand-in. */
export async function openTarget(): Promise<Target> {
  if (process.env.CONTRACT_CHAT_URLS || process.env.LIBRECHAT_URL) return (await import('./remote')).remoteTarget(process.env);
  return (await import('./stand-in')).standInTarget();
}
