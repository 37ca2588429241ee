import { createSecretKey, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { MongoClient, ObjectId } from 'mongodb';
import { authenticationClaims, MainSiteUser, profileClaims } from '../../packages/main-site-kit/src';
import type { Target } from './target';

/**
 * What the suite does to a chat, as a browser and the main site would: HTTP calls to a replica,
 * tokens signed the way the main-site kit signs them (with an explicit `iat` where a promise is
 * about time), and reads of the chat's database as an operator would make them.
 */
export const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130 Safari/537.36';
export const nowSec = () => Math.floor(Date.now() / 1000);
export type Person = Omit<MainSiteUser, 'sid'>;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
  /** name -> value of every Set-Cookie (an empty value: cleared). */
  cookies: Map<string, string>;
  setCookie: string[];
}

export async function call(base: string, path: string, init: RequestInit & { cookie?: string } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (!headers.has('user-agent')) headers.set('user-agent', UA);
  if (init.cookie) headers.set('cookie', init.cookie);
  const r = await fetch(new URL(path, base), { ...init, headers, redirect: 'manual' });
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const setCookie = r.headers.getSetCookie();
  const cookies = new Map(setCookie.map((c) => {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    return [pair.slice(0, i).trim(), pair.slice(i + 1).trim()] as const;
  }));
  return { status: r.status, headers: r.headers, text, json, cookies, setCookie };
}

export function signer(t: Target) {
  const provider = t.config.providers.find((p) => p.primary) ?? t.config.providers[0];
  const key = createSecretKey(Buffer.from(t.secret));
  const sign = (claims: Record<string, unknown>, iat = nowSec(), ttl = 600) =>
    new SignJWT({ ...claims, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(provider.issuer)
      .setAudience(provider.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .sign(key);
  return {
    /** A login token as the kit signs it (profile, roles, amr), with `sid` and an optional `iat`. */
    login: (p: Person, o: { sid?: string; iat?: number; extra?: Record<string, unknown> } = {}) =>
      sign({ ...profileClaims(p as MainSiteUser), ...authenticationClaims(p), ...(o.extra ?? {}), sub: p.id, sid: o.sid ?? randomUUID() }, o.iat),
    /** An OpenID back-channel logout token naming `sub` and/or `sid`. */
    logout: (target: { sub?: string; sid?: string }, iat?: number) =>
      sign({ ...target, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }, iat, 120),
    /** Any signed call from the main site (iss, aud, iat, exp, jti added). */
    raw: (claims: Record<string, unknown>, iat?: number) => sign(claims, iat, 120),
    /** A lifecycle token (`user.updated` carries the profile). */
    lifecycle: (event: string, p: Person, iat?: number) =>
      sign({ sub: p.id, event, ...(event === 'user.updated' ? { user: profileClaims(p as MainSiteUser) } : {}) }, iat, 120),
  };
}

const form = (body: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(body).toString(),
});

export function chat(t: Target, base: string) {
  const name = t.config.cookieName;
  return {
    base,
    /** LibreChat's "refresh my session", with the main site's cookie and/or LibreChat's. */
    refresh: (cookie?: string) => call(base, '/api/auth/refresh', { method: 'POST', cookie }),
    parent: (token: string) => `${name}=${token}`,
    /** GET /api/user with a LibreChat access token (LibreChat's own requireJwtAuth). */
    user: (accessToken: string) => call(base, '/api/user', { headers: { authorization: `Bearer ${accessToken}` } }),
    /** GET /api/balance with a LibreChat access token (LibreChat's own balance controller). */
    balance: (accessToken: string) => call(base, '/api/balance', { headers: { authorization: `Bearer ${accessToken}` } }),
    backchannel: (logoutToken: string) => call(base, '/api/auth/sso/backchannel-logout', form({ logout_token: logoutToken })),
    lifecycle: (token: string) => call(base, '/api/auth/sso/lifecycle', form({ lifecycle_token: token })),
    get: (path: string, headers: Record<string, string> = {}, cookie?: string) => call(base, path, { headers, cookie }),
    post: (path: string, body: unknown, cookie?: string) => call(base, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), cookie }),
  };
}
export type Chat = ReturnType<typeof chat>;

/** The LibreChat cookies of a bridged answer, as the browser would send them back. */
export function libreCookies(a: Answer): string {
  return ['refreshToken', 'token_provider'].filter((n) => a.cookies.get(n)).map((n) => `${n}=${a.cookies.get(n)}`).join('; ');
}

/** Signs in through the bridge and returns what the SPA would keep. */
export async function signIn(c: Chat, token: string) {
  const a = await c.refresh(c.parent(token));
  if (a.status !== 200 || !a.json?.token) throw new Error(`the bridge did not sign in (${a.status} ${a.text.slice(0, 200)})`);
  return { access: a.json.token as string, user: a.json.user, cookies: libreCookies(a), answer: a };
}

/** The chat's database, read (and prepared) directly. */
export async function database(t: Target) {
  const client = await MongoClient.connect(t.mongoUri, { serverSelectionTimeoutMS: 10_000 });
  const db = client.db();
  return {
    db,
    users: (email: string) => db.collection('users').countDocuments({ email }),
    user: (email: string) => db.collection('users').findOne({ email }),
    mappings: (provider: string, externalId: string) => db.collection('shinegold_identities').countDocuments({ _id: `${provider}:${externalId}` as never }),
    sessions: (userId: string) => db.collection('sessions').countDocuments({ user: new ObjectId(userId) }),
    close: () => client.close(),
  };
}
export type Db = Awaited<ReturnType<typeof database>>;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
