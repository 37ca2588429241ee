import type { Connection, Model, Mongoose, Types } from 'mongoose';

/**
 * Our persistence, built on LibreChat's own data layer (`@librechat/data-schemas`) and
 * LibreChat's own mongoose instance. Nothing here copies a LibreChat schema:
 *
 * - The LibreChat user gains two paths through `userSchema.add` (done before LibreChat compiles
 *   its models: see `extendUserSchema`), never by editing data-schemas' files:
 *   `shinegoldUserId` (unique where present), `shinegoldRevokedBefore` (seconds; access
 *   tokens issued before it are refused, which makes a mirrored logout immediate) and
 *   `shinegoldLoggedOutAt` (seconds; main-site login tokens issued before it are refused).
 * - Three collections of our own: the external identity mapping of the second seed
 *   (`shinegold_identities`, unique on provider + externalId), the replay store for
 *   logout/sync token ids (`shinegold_replays`) and the credits idempotency keys
 *   (`shinegold_credit_ops`, unique by _id: credits/).
 * - LibreChat's balance documents carry what the credits sync last applied, next to the
 *   balance it applied it to (credits/balance.ts), so one write does both.
 *
 * FerretDB (the test server) and MongoDB differ on TTL, partial and sparse indexes: expiry is
 * always checked in queries; the TTL index only tidies up where the server supports it.
 */

/** The slice of `@librechat/data-schemas` we use. Typed loosely: versions differ in detail. */
export interface DataSchemas {
  userSchema: { add(obj: Record<string, unknown>): unknown; path(name: string): unknown };
  createModels(m: Mongoose): Record<string, Model<any>>;
  createMethods(m: Mongoose, deps?: Record<string, unknown>): LibreChatMethods;
}

/** The data-schemas methods we call; all exist in data-schemas >= 0.0.56. */
export interface LibreChatMethods {
  createUser(data: Record<string, unknown>, balanceConfig?: unknown, disableTTL?: boolean, returnUser?: boolean): Promise<any>;
  findUser(criteria: Record<string, unknown>, fields?: string): Promise<any>;
  getUserById(id: string, fields?: string): Promise<any>;
  updateUser(id: string, data: Record<string, unknown>): Promise<any>;
  deleteUserById(id: string): Promise<any>;
  createSession(userId: string, options?: { expiresIn?: number }): Promise<{ session: any; refreshToken: string }>;
  findSession(params: Record<string, unknown>, options?: { lean?: boolean }): Promise<any>;
  deleteSession(params: Record<string, unknown>): Promise<any>;
  deleteAllUserSessions(userId: string | { userId: string }, options?: Record<string, unknown>): Promise<any>;
  generateToken(user: unknown, expiresIn?: number): Promise<string>;
  generateRefreshToken?(session: unknown): Promise<string>;
}

/** The mapping row's _id for an external identity. */
export const identityKey = (provider: string, externalId: string) => `${provider}:${externalId}`;

/** Adds our paths to LibreChat's user schema. Idempotent; must run before `createModels`. */
export function extendUserSchema(ds: Pick<DataSchemas, 'userSchema'>): void {
  const paths: Record<string, unknown> = {
    // sparse: MongoDB skips users without the field; FerretDB/PostgreSQL never collides NULLs.
    shinegoldUserId: { type: String, unique: true, sparse: true },
    shinegoldRevokedBefore: { type: Number },
    // Ordering marks (identity/ordering.ts), in seconds on the main site's clock: the last
    // logout everywhere, ban or delete (login tokens issued at or before it are refused), and the
    // last profile update (older login tokens write nothing). Writes are conditional on them.
    shinegoldLoggedOutAt: { type: Number },
    shinegoldUpdatedAt: { type: Number },
  };
  const missing = Object.fromEntries(Object.entries(paths).filter(([name]) => !ds.userSchema.path(name)));
  if (Object.keys(missing).length > 0) ds.userSchema.add(missing);
}

export interface IdentityDoc {
  /** `provider:externalId`: the key itself, so the hot lookup is by _id on any server. */
  _id: string;
  provider: string;
  externalId: string;
  userId: Types.ObjectId | null;
  /** A creation lease: who is creating the user for this identity, and since when. */
  claim?: { owner: string; at: Date } | null;
  status: 'active' | 'banned' | 'disabled';
  lastLoginAt?: Date;
  claimsSnapshot?: Record<string, unknown> | null;
  extensions?: Record<string, unknown> | null;
  /** Main-site session ids (sid) chat has seen this person log in with (recent ones, bounded), for logout by sid. */
  sids?: string[];
  /** Main-site session id (sid) of the last login (rows written before `sids`). */
  sessionId?: string | null;
  /** When the main site last told chat about this person, per kind of event (identity/ordering.ts). */
  marks?: { loggedOutAt?: number | null; updatedAt?: number | null; statusAt?: number | null } | null;
  createdAt?: Date;
  updatedAt?: Date;
}

export interface ReplayDoc {
  _id: string;
  kind: string;
  expiresAt: Date;
}

/**
 * One credits operation the main site asked for with an idempotency key (credits/): the key is
 * the _id (`provider:key`), so a retried call on any replica finds it. `state` says whether the
 * balance holds it yet; the balance document itself records the key too (credits/balance.ts),
 * so a call that died half-way is finished by the retry, never applied twice.
 */
export interface CreditOpDoc {
  _id: string;
  userId: Types.ObjectId;
  kind: 'grant' | 'set';
  /** LibreChat token credits: granted (grant) or the balance set (set). */
  tokenCredits: number;
  /** The signed call's iat (main-site clock). */
  at: number;
  state: 'pending' | 'applied' | 'stale';
  /** The balance right after (applied). */
  balance?: number | null;
  createdAt?: Date;
  updatedAt?: Date;
}

export interface Store {
  mongoose: Mongoose;
  methods: LibreChatMethods;
  User: Model<any>;
  Session: Model<any>;
  /** LibreChat's balances and token ledger (data-schemas' models). */
  Balance: Model<any>;
  Transaction: Model<any>;
  Identity: Model<IdentityDoc>;
  Replay: Model<ReplayDoc>;
  CreditOp: Model<CreditOpDoc>;
  /** Creates our indexes and reports which ones the server really has. */
  ensureIndexes(): Promise<IndexReport>;
}

export interface IndexReport {
  ok: boolean;
  present: string[];
  missing: string[];
  /** Indexes the server refused that only tidy up (TTL on FerretDB); correctness does not need them. */
  optionalMissing: string[];
}

const REQUIRED_INDEXES: Array<{ model: 'User' | 'Identity'; name: string; keys: Record<string, 1>; unique: boolean }> = [
  { model: 'User', name: 'shinegoldUserId_1', keys: { shinegoldUserId: 1 }, unique: true },
  { model: 'Identity', name: 'provider_1_externalId_1', keys: { provider: 1, externalId: 1 }, unique: true },
  { model: 'Identity', name: 'userId_1', keys: { userId: 1 }, unique: false },
  { model: 'Identity', name: 'provider_1_sids_1', keys: { provider: 1, sids: 1 }, unique: false },
];

/**
 * Builds the store on a mongoose instance. `ds` is the data-schemas module LibreChat itself
 * loaded (inside LibreChat) or the npm release (tests, CLI). If LibreChat has not compiled its
 * models yet, they are compiled here through `createModels`, after our schema extension.
 */
export function createStore(mongoose: Mongoose, ds: DataSchemas, methodDeps?: Record<string, unknown>): Store {
  extendUserSchema(ds);
  if (!mongoose.models.User) ds.createModels(mongoose);
  const User = mongoose.models.User;
  if (!User.schema.path('shinegoldUserId')) {
    throw new TypeError(
      'The LibreChat User model was compiled before the shinegold schema extension ran. ' +
        'Load @shinegold/librechat-sso/librechat before api/db creates the models (see patches/).',
    );
  }
  const { Schema } = mongoose;

  const identitySchema = new Schema<IdentityDoc>(
    {
      _id: { type: String },
      provider: { type: String, required: true },
      externalId: { type: String, required: true },
      userId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
      claim: { type: new Schema({ owner: String, at: Date }, { _id: false }), default: null },
      status: { type: String, enum: ['active', 'banned', 'disabled'], default: 'active' },
      lastLoginAt: Date,
      claimsSnapshot: Schema.Types.Mixed,
      extensions: Schema.Types.Mixed,
      sids: { type: [String], default: undefined },
      sessionId: String,
      marks: { type: new Schema({ loggedOutAt: Number, updatedAt: Number, statusAt: Number }, { _id: false }), default: undefined },
    },
    { timestamps: true, collection: 'shinegold_identities', autoIndex: false, minimize: false },
  );
  identitySchema.index({ provider: 1, externalId: 1 }, { unique: true });
  identitySchema.index({ userId: 1 });
  identitySchema.index({ provider: 1, sids: 1 });

  const replaySchema = new Schema<ReplayDoc>(
    { _id: { type: String }, kind: { type: String, required: true }, expiresAt: { type: Date, required: true } },
    { collection: 'shinegold_replays', autoIndex: false, versionKey: false },
  );
  replaySchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

  const creditOpSchema = new Schema<CreditOpDoc>(
    {
      _id: { type: String },
      userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
      kind: { type: String, enum: ['grant', 'set'], required: true },
      tokenCredits: { type: Number, required: true },
      at: { type: Number, required: true },
      state: { type: String, enum: ['pending', 'applied', 'stale'], default: 'pending' },
      balance: { type: Number, default: null },
    },
    { timestamps: true, collection: 'shinegold_credit_ops', autoIndex: false, versionKey: false },
  );

  const Identity = (mongoose.models.ShinegoldIdentity as Model<IdentityDoc>) || mongoose.model<IdentityDoc>('ShinegoldIdentity', identitySchema);
  const Replay = (mongoose.models.ShinegoldReplay as Model<ReplayDoc>) || mongoose.model<ReplayDoc>('ShinegoldReplay', replaySchema);
  const CreditOp = (mongoose.models.ShinegoldCreditOp as Model<CreditOpDoc>) || mongoose.model<CreditOpDoc>('ShinegoldCreditOp', creditOpSchema);
  const methods = ds.createMethods(mongoose, methodDeps);

  return {
    mongoose,
    methods,
    User,
    Session: mongoose.models.Session,
    Balance: mongoose.models.Balance,
    Transaction: mongoose.models.Transaction,
    Identity,
    Replay,
    CreditOp,
    async ensureIndexes() {
      const models = { User, Identity } as const;
      const present: string[] = [];
      const missing: string[] = [];
      for (const idx of REQUIRED_INDEXES) {
        const coll = models[idx.model].collection;
        try {
          await coll.createIndex(idx.keys, { unique: idx.unique, sparse: idx.model === 'User', name: idx.name });
        } catch (e) {
          // An index with the same keys may exist under another name (LibreChat's syncIndexes).
          if (!/already exists|IndexOptionsConflict|IndexKeySpecsConflict/i.test(String((e as Error).message))) throw e;
        }
        const existing = await coll.indexes();
        const found = existing.some(
          (i: any) => JSON.stringify(i.key) === JSON.stringify(idx.keys) && (!idx.unique || i.unique === true),
        );
        (found ? present : missing).push(`${coll.collectionName}.${idx.name}`);
      }
      const optionalMissing: string[] = [];
      try {
        await Replay.collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });
        present.push('shinegold_replays.expiresAt_ttl');
      } catch {
        optionalMissing.push('shinegold_replays.expiresAt_ttl');
      }
      // A first visit picks a username no one has (LibreChat does not index usernames): without
      // this index that lookup reads the whole users collection.
      try {
        await User.collection.createIndex({ username: 1 }, { name: 'shinegold_username_1' });
        present.push(`${User.collection.collectionName}.shinegold_username_1`);
      } catch (e) {
        if (/already exists|IndexOptionsConflict|IndexKeySpecsConflict/i.test(String((e as Error).message))) present.push(`${User.collection.collectionName}.username_1`);
        else optionalMissing.push(`${User.collection.collectionName}.shinegold_username_1`);
      }
      return { ok: missing.length === 0, present, missing, optionalMissing };
    },
  };
}

export type { Connection };
