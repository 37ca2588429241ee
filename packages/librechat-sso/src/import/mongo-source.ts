import type { Mongoose } from 'mongoose';
import { ShinegoldConfig } from '../config/schema';
import { ConfigError } from '../errors';
import { Row, SourceProgress } from './rows';

/**
 * The main site's MongoDB as an import source: one collection, streamed with a cursor in `_id`
 * order (so a row's number, its `line`, is stable between runs and `--resume` works), only the
 * mapped fields fetched. Each document becomes a row in the vocabulary of a login token (the
 * claim names of librechat.yaml), so it is judged exactly like a JSONL row.
 *
 * The field map (`--fields map.json`) says where each piece lives in a source document, as
 * dotted paths:
 *
 *   {
 *     "id": "_id",                       required: the main-site user id (ObjectId -> hex)
 *     "email": "email",                  required
 *     "emailVerified": "emailVerified",  a boolean
 *     "name": "profile.displayName",
 *     "username": "handle",
 *     "avatar": "avatarUrl",             https only, as for a token
 *     "roles": "roles",                  a string or a list of strings
 *     "extensions": { "vip_level": "billing.vipLevel" },   claim of librechat.yaml -> path
 *     "filter": { "deleted": { "$ne": true } }             optional query on the collection
 *   }
 *
 * ObjectIds become hex strings and dates ISO strings; other values are taken as they are.
 */
export interface FieldMap {
  id: string;
  email: string;
  emailVerified?: string;
  name?: string;
  username?: string;
  avatar?: string;
  roles?: string;
  extensions: Record<string, string>;
  filter: Record<string, unknown>;
}

const PATH_KEYS = ['id', 'email', 'emailVerified', 'name', 'username', 'avatar', 'roles'] as const;
const isPath = (v: unknown): v is string => typeof v === 'string' && /^[^.$\s][^\s]*$/.test(v) && !v.split('.').some((p) => p === '' || p.startsWith('$'));

/** Checks a field map once and lists every problem as a sentence (ConfigError). */
export function validateFieldMap(raw: unknown, config: ShinegoldConfig): FieldMap {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(['The field map must be a JSON object.']);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (![...PATH_KEYS, 'extensions', 'filter'].includes(k)) problems.push(`The field map has an unknown key "${k}" (known: ${[...PATH_KEYS, 'extensions', 'filter'].join(', ')}).`);
  }
  for (const k of PATH_KEYS) {
    if (o[k] === undefined) {
      if (k === 'id' || k === 'email') problems.push(`The field map must name the source field of "${k}".`);
    } else if (!isPath(o[k])) problems.push(`The field map's "${k}" must be a dotted field path such as "profile.email".`);
  }
  const ext = o.extensions ?? {};
  const known = new Set(Object.values(config.extensions).map((e) => e.claim));
  if (typeof ext !== 'object' || ext === null || Array.isArray(ext)) problems.push('The field map\'s "extensions" must be an object of claim name -> field path.');
  else {
    for (const [claim, p] of Object.entries(ext)) {
      if (!known.has(claim)) problems.push(`The field map's extension "${claim}" is not the claim of any extension field in librechat.yaml (${[...known].join(', ') || 'none configured'}).`);
      if (!isPath(p)) problems.push(`The field map's extension "${claim}" must be a dotted field path.`);
    }
  }
  const filter = o.filter ?? {};
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) problems.push('The field map\'s "filter" must be a query object.');
  if (problems.length) throw new ConfigError(problems);
  return { ...(o as Omit<FieldMap, 'extensions' | 'filter'>), extensions: ext as Record<string, string>, filter: filter as Record<string, unknown> };
}

function at(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function put(obj: Record<string, unknown>, path: string, value: unknown) {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
  cur[parts[parts.length - 1]] = value;
}

function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object' && (v as { _bsontype?: string })._bsontype === 'ObjectId') return String(v);
  return v;
}

/** A source document -> a row in the claim names of librechat.yaml. */
export function documentRow(doc: Record<string, unknown>, map: FieldMap, config: ShinegoldConfig): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  const set = (claim: string, path: string | undefined) => {
    if (!path) return;
    const v = plain(at(doc, path));
    if (v !== undefined) put(row, claim, v);
  };
  const id = plain(at(doc, map.id));
  if (id !== undefined && id !== null) row.id = typeof id === 'number' ? id : String(id);
  set(config.claims.email, map.email);
  set(config.claims.emailVerified, map.emailVerified);
  set(config.claims.name, map.name);
  set(config.claims.username, map.username);
  set(config.claims.avatar, map.avatar);
  set(config.roles.claim, map.roles);
  for (const [claim, path] of Object.entries(map.extensions)) set(claim, path);
  return row;
}

/** The projection for the mapped paths; a path under another mapped path is left to its parent. */
export function projection(map: FieldMap): Record<string, 1> {
  const paths = [...new Set([map.id, map.email, map.emailVerified, map.name, map.username, map.avatar, map.roles, ...Object.values(map.extensions)].filter(Boolean) as string[])];
  const kept = paths.filter((p) => !paths.some((q) => q !== p && p.startsWith(`${q}.`)));
  return Object.fromEntries(kept.map((p) => [p, 1]));
}

export interface MongoSource {
  rows: AsyncGenerator<Row>;
  close(): Promise<void>;
}

/**
 * Opens the main site's database read-only in spirit (only `find` and `countDocuments`) and
 * streams its users. `progress.total` is the number of matching documents.
 */
export async function openMongoSource(
  mongoose: Mongoose,
  opts: { uri: string; collection: string; map: FieldMap; config: ShinegoldConfig; batchSize: number; progress?: SourceProgress },
): Promise<MongoSource> {
  const client = new mongoose.mongo.MongoClient(opts.uri, { serverSelectionTimeoutMS: 10_000, readPreference: 'secondaryPreferred' });
  await client.connect();
  const coll = client.db().collection(opts.collection);
  if (opts.progress) opts.progress.total = await coll.countDocuments(opts.map.filter);
  async function* rows(): AsyncGenerator<Row> {
    const cursor = coll.find(opts.map.filter, { projection: projection(opts.map), sort: { _id: 1 }, batchSize: opts.batchSize });
    let n = 0;
    try {
      for await (const doc of cursor) {
        n++;
        if (opts.progress) opts.progress.done = n;
        yield { line: n, data: documentRow(doc as Record<string, unknown>, opts.map, opts.config) };
      }
    } finally {
      await cursor.close();
    }
  }
  return { rows: rows(), close: () => client.close() };
}
