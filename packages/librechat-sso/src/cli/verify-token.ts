import { parseArgs } from 'node:util';
import { redact } from '../audit';
import { configPath, loadConfig, readSection } from '../config/load';
import type { ShinegoldConfig } from '../config/schema';
import { ConfigError, isRefusal, SsoError, SsoRefusal } from '../errors';
import { mapIdentity } from '../identity/map';
import { redactText } from '../redact';
import { createVerifier } from '../token/verify';

const USAGE = 'usage: echo "$TOKEN" | shinegold-sso verify-token   (the token, a cookie header or "Authorization: Bearer ..." on stdin)';

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** What was pasted: the token, or a sentence saying why there is none to judge. */
export type PastedToken = { token: string; from: 'token' | 'bearer' | 'cookie' } | { problem: string };

/**
 * Understands what an operator pastes: the bare token, `Bearer <token>` (or the whole
 * `Authorization:` header line), a cookie (`sg_session=eyJ...`), a Cookie header
 * (`a=b; sg_session=eyJ...`, with or without `Cookie:`) or a `Set-Cookie:` line. From cookies,
 * the configured cookie name is picked out. A JWT never holds `=`, so `=` means cookies.
 */
export function readPastedToken(text: string, cookieName: string): PastedToken {
  let s = text.trim();
  if (s === '') return { problem: 'no token on stdin' };
  s = s.replace(/^(authorization|cookie|set-cookie)\s*:\s*/i, '').trim();
  const bearer = /^bearer(?:\s+(\S*))?$/i.exec(s);
  if (bearer) return bearer[1] ? { token: bearer[1], from: 'bearer' } : { problem: 'no token after Bearer' };
  if (!s.includes('=')) return { token: s, from: 'token' };
  const pairs = s
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.includes('='))
    .map((part) => [part.slice(0, part.indexOf('=')).trim(), part.slice(part.indexOf('=') + 1).trim()] as const);
  const values = pairs.filter(([name]) => name === cookieName).map(([, v]) => unquote(v));
  if (values.length === 0) {
    const names = [...new Set(pairs.map(([n]) => n))];
    return { problem: `the pasted cookies (${names.join(', ') || 'none'}) hold no ${cookieName} cookie (the configured cookieName)` };
  }
  if (values.length > 1) {
    return { problem: `the pasted cookies hold ${cookieName} ${values.length} times; chat never logs anyone in from a duplicated cookie: paste one value to judge it` };
  }
  if (values[0] === '') return { problem: `the ${cookieName} cookie is empty` };
  return { token: values[0], from: 'cookie' };
}

function unquote(v: string): string {
  const s = v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** "in 14 min", "3 h ago", "now": how far `sec` is from `nowSec`. */
export function relativeTime(sec: number, nowSec: number): string {
  const d = sec - nowSec;
  const a = Math.abs(d);
  if (a === 0) return 'now';
  const span = a < 60 ? `${a} s` : a < 3600 ? `${Math.floor(a / 60)} min` : a < 172_800 ? `${Math.floor(a / 3600)} h` : `${Math.floor(a / 86_400)} d`;
  return d > 0 ? `in ${span}` : `${span} ago`;
}

/** `2026-12-01T21:00:00Z (14 min ago)`; a value that is not a NumericDate is shown as given. */
export function describeTime(value: unknown, nowSec: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${JSON.stringify(value)} (not a NumericDate)`;
  const ms = value * 1000;
  if (Math.abs(ms) > 8.64e15) return `${value} (out of range)`;
  return `${new Date(ms).toISOString().replace(/\.000Z$/, 'Z')} (${relativeTime(Math.floor(value), nowSec)})`;
}

const TIME_CLAIMS = [
  ['iat', 'issued'],
  ['nbf', 'not before'],
  ['exp', 'expires'],
] as const;

function timeLines(payload: Record<string, unknown> | undefined, nowSec: number): string {
  if (!payload) return '';
  return TIME_CLAIMS.filter(([c]) => payload[c] !== undefined)
    .map(([c, label]) => `  ${`${label}:`.padEnd(12)}${describeTime(payload[c], nowSec)}\n`)
    .join('');
}

/** The payload as the token states it (not verified), for explaining a refusal; undefined if unreadable. */
function unverifiedPayload(token: string): Record<string, unknown> | undefined {
  const seg = token.split('.')[1];
  if (!seg || !/^[A-Za-z0-9_-]+$/.test(seg)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === undefined ? '(none)' : `${JSON.stringify(v)} (not a string)`);

/** For an issuer or audience refusal: both sides, the token's and the expected. */
function mismatchLines(e: SsoRefusal, payload: Record<string, unknown> | undefined, config: ShinegoldConfig): string {
  const provider = config.providers.find((p) => p.name === e.detail?.provider);
  if (e.code === 'SG_TOKEN_BAD_ISSUER') {
    return `  token issuer:      ${shown(payload?.iss)}\n  expected issuer:   ${shown(e.detail?.expected)}${provider ? ` (provider ${provider.name})` : ''}\n`;
  }
  if (e.code === 'SG_TOKEN_BAD_AUDIENCE') {
    const aud = payload?.aud;
    const list = Array.isArray(aud) ? aud.map((a) => shown(a)).join(', ') : shown(aud);
    return `  token audience:    ${list}\n  expected audience: ${shown(e.detail?.expected)}${provider ? ` (provider ${provider.name})` : ''}\n`;
  }
  if (e.code === 'SG_PROVIDER_UNKNOWN') {
    return `  token issuer:      ${shown(payload?.iss)}\n  configured issuers: ${config.providers.map((p) => `${shown(p.issuer)} (provider ${p.name})`).join(', ')}\n`;
  }
  return '';
}

/**
 * Answers "why can't she log in": judges a token with the server's configuration. Without a
 * database it still judges the token; with MONGO_URI it also names the user it maps to (read
 * only: nothing is created or changed). Exit 0 accepted, 1 refused, 2 no token, bad usage,
 * configuration or dependency.
 */
export async function verifyToken(
  input: NodeJS.ReadableStream,
  out: NodeJS.WritableStream,
  env = process.env,
  args: string[] = [],
  now: () => number = () => Math.floor(Date.now() / 1000),
): Promise<number> {
  try {
    const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    if (values.help) {
      out.write(`${USAGE}\n`);
      return 0;
    }
  } catch {
    out.write(`verify-token reads the token on stdin, never as an argument (it would stay in the shell history).\n${USAGE}\n`);
    return 2;
  }
  let config: ShinegoldConfig;
  try {
    config = loadConfig(readSection(configPath(env)), { env });
  } catch (e) {
    if (e instanceof ConfigError) {
      out.write(`configuration is invalid:\n${e.problems.map((p) => `  - ${redactText(p)}`).join('\n')}\n`);
      return 2;
    }
    throw e;
  }
  const pasted = readPastedToken(await readAll(input), config.cookieName);
  if ('problem' in pasted) {
    out.write(`${pasted.problem}\n${USAGE}\n`);
    return 2;
  }
  const token = pasted.token;
  try {
    const verified = await createVerifier(config, now).verify(token);
    const identity = mapIdentity(verified.claims, verified.provider.name, config);
    out.write(`ACCEPTED by provider ${verified.provider.name}\n`);
    out.write(`  subject (shinegold user id): ${identity.externalId}\n`);
    out.write(`  email: ${identity.email ?? '(none)'} (verified: ${identity.emailVerified})\n`);
    out.write(`  name: ${identity.name ?? '(none)'}, username: ${identity.username ?? '(none)'}\n`);
    out.write(`  role in chat: ${identity.role.role} (claim values: ${identity.role.values.join(', ') || 'none'})\n`);
    out.write(timeLines(verified.claims.raw as Record<string, unknown>, now()));
    if (identity.ignored.length) out.write(`  ignored claims (wrong type): ${identity.ignored.join(', ')}\n`);
    if (!env.MONGO_URI) {
      out.write('  (set MONGO_URI to see the LibreChat user it maps to)\n');
      return 0;
    }
    try {
      out.write(await describeUser(env.MONGO_URI, identity.provider, identity.externalId, identity.email));
      return 0;
    } catch (e) {
      // The token's verdict stands; only the lookup failed (exit 2: a broken dependency).
      out.write(`  UNAVAILABLE SG_DB_UNAVAILABLE: the LibreChat user could not be looked up (${redactText((e as Error).message)})\n`);
      return 2;
    }
  } catch (e) {
    if (isRefusal(e)) {
      const payload = unverifiedPayload(token);
      out.write(`REFUSED ${e.code}: ${e.message}\n`);
      out.write(mismatchLines(e, payload, config));
      const times = timeLines(payload, now());
      if (times) out.write(`  times in the token:\n${times.replace(/^ {2}/gm, '    ')}`);
      if (e.detail) out.write(`  detail: ${JSON.stringify(redact(e.detail))}\n`);
      return 1;
    }
    if (e instanceof SsoError) {
      out.write(`UNAVAILABLE ${e.code}: ${e.message}\n`);
      if (e.detail) out.write(`  detail: ${JSON.stringify(redact(e.detail))}\n`);
      return 2;
    }
    throw e;
  }
}

async function describeUser(uri: string, provider: string, externalId: string, email?: string): Promise<string> {
  const mongoose = (await import('mongoose')).default;
  const m = new mongoose.Mongoose();
  try {
    await m.connect(uri, { autoIndex: false, serverSelectionTimeoutMS: 10_000 });
    const db = m.connection.db!;
    const mapping = await db.collection('shinegold_identities').findOne({ provider, externalId });
    const user = mapping?.userId
      ? await db.collection('users').findOne({ _id: mapping.userId }, { projection: { email: 1, role: 1, provider: 1 } })
      : null;
    if (user) return `  LibreChat user: ${user._id} (${user.email}, role ${user.role}, status ${mapping!.status})\n`;
    const byEmail = email ? await db.collection('users').findOne({ email }, { projection: { provider: 1, shinegoldUserId: 1 } }) : null;
    if (byEmail) return `  no linked user yet; an account with this email exists (provider ${byEmail.provider}${byEmail.shinegoldUserId ? `, linked to shinegold id ${byEmail.shinegoldUserId}` : ''}): the linking policy decides at login\n`;
    return '  no LibreChat user yet: one will be created at the first visit\n';
  } finally {
    await m.disconnect();
  }
}
