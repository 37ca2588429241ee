import { createSecretKey, KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { parseCookies } from '../token/extract';
import { LIBRECHAT_COOKIES } from './environment';

/**
 * LibreChat's own session, as its browser cookies carry it (AuthService.setAuthTokens,
 * AuthController.refreshController, v0.8.5 ... upstream main): `refreshToken`, an HS256 JWT
 * signed with JWT_REFRESH_SECRET whose `id` is the LibreChat user, plus `token_provider`.
 */
export function readSession(cookieHeader: string | undefined, refreshSecret: string): { userId: string; refreshToken: string } | undefined {
  const refreshToken = parseCookies(cookieHeader).get(LIBRECHAT_COOKIES.refresh);
  if (!refreshToken) return undefined;
  try {
    const p = jwt.verify(refreshToken, secretKey(refreshSecret), { algorithms: ['HS256'] }) as { id?: unknown };
    return typeof p.id === 'string' ? { userId: p.id, refreshToken } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The refresh secret as a key object, made once: jsonwebtoken turns a string secret into one on
 * every call, which cost about 0.8 ms a refresh (measured; 20 us with the key object), paid on
 * every passthrough on top of LibreChat's own verify.
 */
let cachedKey: { secret: string; key: KeyObject } | undefined;
function secretKey(secret: string): KeyObject {
  if (cachedKey?.secret !== secret) cachedKey = { secret, key: createSecretKey(Buffer.from(secret, 'utf8')) };
  return cachedKey.key;
}

const SENSITIVE = ['password', '__v', 'totpSecret', 'backupCodes', 'federatedTokens', 'pendingTotpSecret', 'pendingBackupCodes'];

/** LibreChat's sanitizeUserForAuthResponse: the user as the SPA receives it. */
export function sanitizeUser(user: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...user };
  for (const k of SENSITIVE) delete out[k];
  return out;
}
