import { generateKeyPairSync, KeyObject, createHmac } from 'node:crypto';
import { SignJWT, JWTPayload, JWSHeaderParameters, JWTHeaderParameters } from 'jose';
import { loadConfig } from '../../packages/librechat-sso/src/config/load';
import { ShinegoldConfig } from '../../packages/librechat-sso/src/config/schema';

export const ISSUER = 'https://shinegold.test';
export const AUDIENCE = 'chat.shinegold.test';
export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!!';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
}

export function rsaKeys(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function ecKeys(curve = 'prime256v1'): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export const nowSec = () => Math.floor(Date.now() / 1000);

export function claims(over: Record<string, unknown> = {}): JWTPayload {
  const t = nowSec();
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'u-1001',
    iat: t,
    exp: t + 600,
    email: 'ada@example.com',
    email_verified: true,
    name: 'Ada Lovelace',
    preferred_username: 'ada',
    ...over,
  };
}

/** Signs a JWT with jose; `key` is a KeyObject (asymmetric) or a secret string. */
export async function sign(
  payload: JWTPayload,
  opts: { alg?: string; key?: KeyObject | string; header?: Partial<JWSHeaderParameters> } = {},
): Promise<string> {
  const alg = opts.alg ?? 'HS256';
  const key = opts.key ?? SECRET;
  const k = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...opts.header } as JWTHeaderParameters).sign(k);
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Builds a token by hand (for hostile shapes jose refuses to produce). */
export function rawToken(header: Record<string, unknown>, payload: unknown, signature = ''): string {
  return `${b64(header)}.${b64(payload)}.${signature}`;
}

/** HMAC-signs header.payload with an arbitrary key (e.g. the RSA public key PEM). */
export function hmacToken(header: Record<string, unknown>, payload: unknown, key: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = createHmac('sha256', key).update(input).digest('base64url');
  return `${input}.${sig}`;
}

/** A validated config from a raw section and an environment, as the server would build it. */
export function config(raw: Record<string, unknown> = {}, env: Record<string, string> = { SHINEGOLD_JWT_SECRET: SECRET }): ShinegoldConfig {
  return loadConfig(
    {
      providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE }],
      session: {
        chatOrigin: 'http://chat.shinegold.test',
        loginUrl: 'http://shinegold.test/login',
        logoutUrl: 'http://shinegold.test/logout',
      },
      ...raw,
    },
    { env },
  );
}
