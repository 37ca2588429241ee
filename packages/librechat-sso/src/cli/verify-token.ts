import { configPath, loadConfig, readSection } from '../config/load';
import { ConfigError, isRefusal, SsoError } from '../errors';
import { mapIdentity } from '../identity/map';
import { createVerifier } from '../token/verify';

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8').trim();
}

/**
 * Answers "why can't she log in": judges a token with the server's configuration. Without a
 * database it still judges the token; with MONGO_URI it also names the user it maps to (read
 * only: nothing is created or changed). Exit 0 accepted, 1 refused, 2 configuration/dependency.
 */
export async function verifyToken(input: NodeJS.ReadableStream, out: NodeJS.WritableStream, env = process.env): Promise<number> {
  let config;
  try {
    config = loadConfig(readSection(configPath(env)), { env });
  } catch (e) {
    if (e instanceof ConfigError) {
      out.write(`configuration is invalid:\n${e.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return 2;
    }
    throw e;
  }
  let token = await readAll(input);
  token = token.replace(/^Bearer\s+/i, '');
  try {
    const verified = await createVerifier(config).verify(token);
    const identity = mapIdentity(verified.claims, verified.provider.name, config);
    out.write(`ACCEPTED by provider ${verified.provider.name}\n`);
    out.write(`  subject (shinegold user id): ${identity.externalId}\n`);
    out.write(`  email: ${identity.email ?? '(none)'} (verified: ${identity.emailVerified})\n`);
    out.write(`  name: ${identity.name ?? '(none)'}, username: ${identity.username ?? '(none)'}\n`);
    out.write(`  role in chat: ${identity.role.role} (claim values: ${identity.role.values.join(', ') || 'none'})\n`);
    out.write(`  expires: ${new Date(verified.claims.exp * 1000).toISOString()}\n`);
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
      out.write(`  UNAVAILABLE SG_DB_UNAVAILABLE: the LibreChat user could not be looked up (${(e as Error).message})\n`);
      return 2;
    }
  } catch (e) {
    if (isRefusal(e)) {
      out.write(`REFUSED ${e.code}: ${e.message}\n`);
      if (e.detail) out.write(`  detail: ${JSON.stringify(e.detail)}\n`);
      return 1;
    }
    if (e instanceof SsoError) {
      out.write(`UNAVAILABLE ${e.code}: ${e.message}\n`);
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
