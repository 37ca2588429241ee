import type { ShinegoldConfig } from '../config/schema';
import type { DataSchemas } from '../store/models';
import { fail, Finding, ok, warn } from './finding';
import { redactUri } from '../redact';

export interface DatabaseCheckInput {
  uri: string;
  config?: ShinegoldConfig;
  /** `@librechat/data-schemas` (LibreChat's own, or the npm release the CLI depends on). */
  dataSchemas: DataSchemas;
  timeoutMs?: number;
  /** How many linked identities to compare with their users (the sample bounds the cost). */
  sample?: number;
}

/**
 * LibreChat's database as the add-on needs it: reachable, our indexes present, and the user
 * schema extension really in effect in the running LibreChat (linked users carry
 * `shinegoldUserId`; a LibreChat whose db-index patch is missing strips it).
 *
 * `ensureIndexes()` is the same call the server makes at start: it creates what is missing and
 * reports what the server really has, so running the doctor also repairs missing indexes.
 */
export async function checkDatabase({ uri, config, dataSchemas, timeoutMs = 5000, sample = 500 }: DatabaseCheckInput): Promise<Finding[]> {
  const out: Finding[] = [];
  const mongoose = (await import('mongoose')).default;
  const m = new mongoose.Mongoose();
  m.set('strictQuery', false);
  const shown = redactUri(uri);
  try {
    try {
      await m.connect(uri, { autoIndex: false, serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
      await m.connection.db!.command({ ping: 1 });
    } catch (e) {
      out.push(fail('db.reachable', `The database ${shown} cannot be reached (${(e as Error).message}).`, 'Check MONGO_URI (the same value LibreChat uses), the network and the credentials.'));
      return out;
    }
    out.push(ok('db.reachable', `The database ${shown} answers.`));
    const { createStore } = await import('../store/models');
    const store = createStore(m, dataSchemas);
    try {
      const r = await store.ensureIndexes();
      if (r.missing.length) {
        out.push(fail('db.indexes', `Indexes missing: ${r.missing.join(', ')}; without them two logins can create duplicate users.`, 'An index on these keys exists without the unique option: drop it and run the doctor again, which creates the right one as the server does at start.'));
      } else {
        out.push(ok('db.indexes', `Our indexes are present: ${r.present.join(', ')}.`));
      }
      if (r.optionalMissing.length) {
        out.push(warn('db.indexes.tidy', `The server refused ${r.optionalMissing.join(', ')}; it only tidies up expired entries (expiry is always checked in queries).`, 'Nothing needed on FerretDB; on MongoDB check that the database user may create TTL indexes.'));
      }
    } catch (e) {
      out.push(fail('db.indexes', `Our indexes could not be created or listed (${(e as Error).message}).`, 'If the message names a duplicate key, two users share a shinegoldUserId (or two mappings one identity): resolve them first; otherwise grant the database user createIndex and listIndexes on LibreChat\'s database.'));
    }
    out.push(...(await checkSchemaExtension(store.User, store.Identity, config, sample)));
    if (config) out.push(...(await checkRoles(m, config)));
  } finally {
    await m.disconnect().catch(() => undefined);
  }
  return out;
}

async function checkSchemaExtension(User: import('mongoose').Model<any>, Identity: import('mongoose').Model<any>, config: ShinegoldConfig | undefined, sample: number): Promise<Finding[]> {
  if (!User.schema.path('shinegoldUserId') || !User.schema.path('shinegoldRevokedBefore') || !User.schema.path('shinegoldLoggedOutAt')) {
    return [fail('db.user-schema', 'The @librechat/data-schemas in use did not take the shinegold user fields.', 'Use @librechat/data-schemas >= 0.0.56, the version LibreChat ships.')];
  }
  // Only the primary provider writes its id to the user (see provision.ts).
  const primary = config ? (config.providers.find((p) => p.name === 'shinegold') ?? config.providers[0])?.name : 'shinegold';
  const linked = await Identity.find({ provider: primary, userId: { $ne: null } }, { externalId: 1, userId: 1 }).limit(sample).lean();
  if (linked.length === 0) {
    return [ok('db.user-schema', 'The user schema extension is in place; no linked users yet to compare with.')];
  }
  const users = await User.find({ _id: { $in: linked.map((l: any) => l.userId) } }, { shinegoldUserId: 1 }).lean();
  const byId = new Map(users.map((u: any) => [String(u._id), u.shinegoldUserId]));
  const gone = linked.filter((l: any) => !byId.has(String(l.userId))).length;
  const stripped = linked.filter((l: any) => byId.has(String(l.userId)) && byId.get(String(l.userId)) !== l.externalId).length;
  const out: Finding[] = [];
  if (stripped > 0) {
    out.push(
      fail('db.user-schema', `${stripped} of ${linked.length} linked users checked have no (or another) shinegoldUserId: LibreChat is saving users without the shinegold fields.`,
        'Apply patches/<version>/db-index.patch so LibreChat extends its user schema before createModels, restart it, and let those users log in again.'),
    );
  } else {
    out.push(ok('db.user-schema', `The user schema extension is effective: ${linked.length} linked user(s) checked carry shinegoldUserId.`));
  }
  if (gone > 0) {
    out.push(warn('db.orphans', `${gone} identity mapping(s) point at LibreChat users that no longer exist.`, 'They are re-provisioned at the next login; nothing to do unless the number grows.'));
  }
  return out;
}


/**
 * Every LibreChat role the config can give (roles.map, defaultRole, known) exists in LibreChat's
 * `roles` collection. LibreChat creates only its system roles (USER, ADMIN) itself; a person given
 * a custom role it has no record of gets "Insufficient permissions" for agents, prompts and the rest.
 */
async function checkRoles(m: import('mongoose').Mongoose, config: ShinegoldConfig): Promise<Finding[]> {
  const wanted = new Set<string>();
  for (const p of config.providers) {
    for (const r of [...Object.values(p.roles.map), p.roles.defaultRole, ...p.roles.known]) if (r && r !== 'USER' && r !== 'ADMIN') wanted.add(r);
  }
  if (wanted.size === 0) return [];
  const have = new Set((await m.connection.db!.collection('roles').find({ name: { $in: [...wanted] } }, { projection: { name: 1 } }).toArray()).map((r) => String(r.name)));
  const missing = [...wanted].filter((r) => !have.has(r)).sort();
  if (missing.length === 0) return [ok('db.roles', `LibreChat has the role${wanted.size > 1 ? 's' : ''} the configuration gives: ${[...wanted].sort().join(', ')}.`)];
  return [
    warn(
      'db.roles',
      `LibreChat has no role ${missing.join(', ')}, which the configuration gives (roles.map, defaultRole or known): people given it get "Insufficient permissions" for agents, prompts and bookmarks.`,
      'Create the role in LibreChat (its admin panel or API) with the permissions it should have, or map those claim values to USER.',
    ),
  ];
}
