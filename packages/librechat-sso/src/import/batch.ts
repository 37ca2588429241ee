import { randomBytes } from 'node:crypto';
import { ShinegoldConfig } from '../config/schema';
import { isRefusal } from '../errors';
import { policyFor, readBatchFacts, ReadFacts } from '../identity/facts';
import { Identity } from '../identity/map';
import { eventIsStale, latestMarks, notNewerThan } from '../identity/ordering';
import { Provisioner } from '../identity/provision';
import { resolveAccount } from '../identity/resolve';
import { firstRowExtensions, newUserFields, planSync, usernameBase } from '../identity/sync';
import { isDuplicateKey, USER_FIELDS } from '../store/constants';
import { IdentityDoc, identityKey, Store } from '../store/models';
import { LeanDocBuilder, leanDocBuilder } from './lean-docs';
import { Row } from './rows';
import { CONFLICT_CODES, ImportResult, ImportStatus, ImportSummary, importRow, repeatedIds, rowIdentity, withLeftOut } from './run';

/**
 * The batched import: the same decisions as a login (`provision.ts`: mapping first, then a
 * user already carrying the shinegold id, then the email under the linking policy, else a new
 * user through data-schemas' own User model), taken for a whole batch with a few `$in` reads
 * and written with bulk operations.
 *
 * Contract:
 * - Every row ends with one result, in line order; a bad row never stops the run.
 * - One id, one row: a row repeating the id of an earlier row of the run is invalid
 *   (`repeatedIds` in run.ts, which the per-row path shares), in a dry run as in a real run.
 * - Rows are judged as if processed one by one in file order: a row that touches an email or a
 *   LibreChat user an earlier row of the same batch touches waits for that batch to be written
 *   and then goes through the per-row path (`importRow`), as does any row the batch cannot
 *   decide safely (a creation lease held by a login, a mapped user that vanished, a provider
 *   other than the primary one, an email held by several tenants).
 * - Race safety with concurrent logins, without transactions: the user is written first (a new
 *   user carries `shinegoldUserId`, unique), then the mapping is inserted. A login that starts
 *   meanwhile either adopts that user by its shinegold id (as provision.ts does) or loses on
 *   the unique index. A duplicate mapping means a login got there first: the row is re-run
 *   through `provisioner.provision`, which waits for the login's lease; the user we inserted is
 *   kept if the login adopted it and deleted otherwise. No user is left without a mapping unless
 *   the database fails mid-way, and such a user is adopted by the next login or import.
 * - Idempotent: a row whose user already says what the row says is `unchanged` and nothing is
 *   written for it. `dryRun` reads only.
 * - An import is not a login: `lastLoginAt`, `sessionId` and the claims snapshot of the mapping
 *   are left to the first real login.
 * - Balance: like provision.ts (createUser without a balance config), no balance record is
 *   written; LibreChat creates it on the user's first request when balances are enabled.
 */
export interface BatchDeps {
  config: ShinegoldConfig;
  store: Store;
  provisioner: Provisioner;
  dryRun: boolean;
  /** Rows per batch (default 500: the same speed as 1000 on FerretDB, and a smaller heap). */
  batchSize?: number;
  /** Updates per bulkWrite call (default 500: a whole batch; MongoDB takes up to 100,000). */
  updateChunk?: number;
  skipLines?: Set<number>;
  /**
   * Insert commands sent at once for one step of a batch (default 4). The rows of a batch are
   * independent (no shared identity, email or user), so its users are split across parallel
   * unordered inserts, and then its mappings likewise; users still all precede mappings. A
   * server that writes one command on one core (FerretDB/PostgreSQL) then uses more than one.
   */
  insertLanes?: number;
  /**
   * Insert first, read only on a refusal (default on when LibreChat's unique email index is
   * there). Without that index a duplicate email would not be refused, so the batch reads first.
   */
  insertFirst?: boolean;
  /**
   * When the main site's data in this import was taken (seconds, main-site clock): the import is
   * an event for the ordering rule (identity/ordering.ts). It never writes over an update the
   * main site sent later, and login tokens issued before it write nothing back over it.
   */
  asOf?: number;
}

/** What a run carries from batch to batch. */
interface RunState {
  /** Usernames known to exist (read once at the start; provision.ts asks per user instead). */
  usernames?: Set<string>;
  /** Whether to try inserting first: off while most rows of the last batch already existed. */
  insertFirst: boolean;
}

/** A creation lease older than this (a login that died) does not stop a batch; provision.ts's default. */
const LEASE_MS = 10_000;

type Item = { row: Row; identity: Identity; key: string };
type Plan =
  | { kind: 'done'; result: Omit<ImportResult, 'line' | 'externalId'> }
  | { kind: 'perRow' }
  /** Mapped user: $set on the user and the mapping's extensions. */
  | { kind: 'update'; userId: unknown; userSet: Record<string, unknown>; extensions?: Record<string, unknown>; changed: string[] }
  /** A user already carries this shinegold id but has no mapping yet. */
  | { kind: 'adopt'; userId: unknown; userSet: Record<string, unknown>; mapping: Partial<IdentityDoc>; changed: string[] }
  /** Link an existing account found by email (policy already applied). */
  | { kind: 'link'; userId: unknown; userSet: Record<string, unknown>; mapping: Partial<IdentityDoc>; changed: string[] }
  | { kind: 'create'; user: Record<string, unknown>; mapping: Partial<IdentityDoc> };

/**
 * Streams rows in batches; `onBatch` receives each batch's results, in file order, once all
 * its writes are done (the checkpoint).
 *
 * Two batches are in flight at once: while one batch's mappings are written, the next one's
 * rows are parsed and its users inserted (the database is otherwise idle between the two
 * steps of a batch). Only the insert-first step overlaps, and only when the two batches share
 * no identity and no email; anything that reads existing accounts (rows that already exist,
 * rows sent to the per-row path, every row while reading first) waits until the batch before
 * is written, so rows are still judged as if one by one in file order.
 */
export async function runBatchedImport(
  rows: AsyncIterable<Row>,
  deps: BatchDeps,
  onBatch: (results: ImportResult[]) => void | Promise<void>,
): Promise<ImportSummary> {
  const started = Date.now();
  const counts: Record<ImportStatus, number> = { created: 0, updated: 0, unchanged: 0, linked: 0, conflict: 0, invalid: 0, error: 0 };
  const size = Math.max(1, deps.batchSize ?? 500);
  const insertFirst = !deps.dryRun && (deps.insertFirst ?? (await hasUniqueEmailIndex(deps.store)));
  const state: RunState = { insertFirst, usernames: insertFirst ? await knownUsernames(deps.store) : undefined };
  let n = 0;
  let batch: Row[] = [];
  /** The batch in flight: its identities and emails, when its writes are done, when it is reported. */
  let previous: { batch: PreparedBatch; written: Promise<unknown>; reported: Promise<void> } | undefined;
  const flush = async () => {
    if (batch.length === 0) return;
    const prepared = prepareBatch(batch, deps);
    batch = [];
    const before = previous;
    const written = importPrepared(prepared, deps, state, before && { written: before.written, overlaps: overlapping(before.batch, prepared) });
    const reported = (async () => {
      const results = await written;
      await before?.reported;
      for (const r of results) counts[r.status]++;
      await onBatch(results);
    })();
    // Awaited below (or by the next flush); this only keeps an early failure from counting as unhandled.
    reported.catch(() => undefined);
    previous = { batch: prepared, written, reported };
    // At most two batches in flight: read on only once the one before this one is reported.
    // If that one failed, this one's writes end before the failure is passed on.
    await before?.reported.catch(async (e) => {
      await written.catch(() => undefined);
      throw e;
    });
  };
  const once = repeatedIds(deps.config);
  for await (const read of rows) {
    const row = once(read);
    if (deps.skipLines?.has(row.line)) continue;
    n++;
    batch.push(row);
    if (batch.length >= size) await flush();
  }
  await flush();
  await previous?.reported;
  return { counts, rows: n, seconds: (Date.now() - started) / 1000 };
}

/**
 * Does the server refuse a second user with the same email? LibreChat builds
 * `email_1_tenantId_1` (unique) at boot; MongoDB indexes a missing tenantId as null, so it
 * refuses. FerretDB's PostgreSQL index never collides on a missing field, so there only a
 * unique index on the email alone counts.
 */
export async function hasUniqueEmailIndex(store: Store): Promise<boolean> {
  const idx = await store.User.collection.indexes().catch(() => []);
  const info = await store.mongoose.connection.db!.admin().command({ buildInfo: 1 }).catch(() => ({}) as Record<string, unknown>);
  const ferret = 'ferretdbVersion' in info;
  return idx.some((i: any) => {
    const keys = Object.keys(i.key);
    return i.unique === true && keys[0] === 'email' && !i.partialFilterExpression && (keys.length === 1 || (!ferret && keys.every((k) => k === 'email' || k === 'tenantId')));
  });
}

async function knownUsernames(store: Store): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const u of store.User.find({}, { username: 1, _id: 0 }).lean().cursor({ batchSize: 5000 })) if ((u as any).username) names.add((u as any).username);
  return names;
}

/** A batch parsed: rows already decided (invalid), rows to plan together, rows for the per-row path. */
interface PreparedBatch {
  results: Map<number, ImportResult>;
  items: Item[];
  later: Row[];
  keys: Set<string>;
  emails: Set<string>;
}

/** Parses a batch's rows into identities; a row repeating an identity or email of the batch waits for the per-row path. */
function prepareBatch(rows: Row[], deps: BatchDeps): PreparedBatch {
  const results = new Map<number, ImportResult>();
  const later: Row[] = [];
  const items: Item[] = [];
  const keys = new Set<string>();
  const emails = new Set<string>();
  for (const row of rows) {
    if (row.error || !row.data) {
      results.set(row.line, { line: row.line, status: 'invalid', reason: `line ${row.line} ${row.error}` });
      continue;
    }
    let identity: Identity;
    try {
      identity = rowIdentity(row.data, deps.config, deps.asOf);
    } catch (e) {
      results.set(row.line, { line: row.line, status: 'invalid', reason: isRefusal(e) ? `${e.code}: ${e.message}` : (e as Error).message });
      continue;
    }
    const key = identityKey(identity.provider, identity.externalId);
    if (keys.has(key) || emails.has(identity.email!)) later.push(row);
    else {
      keys.add(key);
      emails.add(identity.email!);
      items.push({ row, identity, key });
    }
  }
  return { results, items, later, keys, emails };
}

/** Whether a batch touches an identity or an email of the batch before it (then it waits for that one). */
function overlapping(before: PreparedBatch, next: PreparedBatch): boolean {
  for (const k of next.keys) if (before.keys.has(k)) return true;
  for (const e of next.emails) if (before.emails.has(e)) return true;
  // Rows of the per-row path are parsed only later: be safe and wait.
  return next.later.length > 0 || before.later.length > 0;
}

/** One batch: results for every row, in line order. */
export async function importBatch(rows: Row[], deps: BatchDeps, state: RunState = { insertFirst: false }): Promise<ImportResult[]> {
  return importPrepared(prepareBatch(rows, deps), deps, state);
}

/**
 * Writes a prepared batch. With `after` (the batch before it, still being written), only the
 * insert-first step may run alongside it; everything that reads existing accounts waits.
 */
async function importPrepared(
  prepared: PreparedBatch,
  deps: BatchDeps,
  state: RunState,
  after?: { written: Promise<unknown>; overlaps: boolean },
): Promise<ImportResult[]> {
  const { results, later } = prepared;
  let { items } = prepared;
  const settled = async () => {
    if (after) await after.written.catch(() => undefined);
  };
  if (after && (after.overlaps || !state.insertFirst)) await settled();

  let plans: Map<Item, Plan> = new Map();
  try {
    if (state.insertFirst && items.length) {
      const { done, rest } = await insertFirst(items, deps, state);
      for (const [item, result] of done) results.set(item.row.line, { line: item.row.line, externalId: item.identity.externalId, ...result });
      // Most rows already existed (a re-run): read first for the rest of the run.
      if (rest.length > items.length / 2) state.insertFirst = false;
      items = rest;
    }
    if (items.length) await settled();
    plans = await planBatch(items, deps, state);
    if (!deps.dryRun) await writeBatch(plans, deps);
    for (const [item, plan] of plans) {
      if (plan.kind === 'perRow') later.push(item.row);
      else results.set(item.row.line, { line: item.row.line, externalId: item.identity.externalId, ...outcome(plan, deps.dryRun) });
    }
  } catch {
    // The database failed mid-batch: every row not yet decided is judged alone. What was
    // written is found again (an inserted user is adopted by its shinegold id).
    for (const item of items) if (!results.has(item.row.line)) later.push(item.row);
  }

  if (later.length) await settled();
  later.sort((a, b) => a.line - b.line);
  const perRow = new Set(later.map((r) => r.line));
  for (const row of later) results.set(row.line, await importRow(row, { ...deps }));
  // Fields of the row that were present but left out are named on its line (importRow does so itself).
  for (const item of prepared.items) {
    const r = results.get(item.row.line);
    if (r && !perRow.has(item.row.line)) results.set(item.row.line, withLeftOut(r, item.identity));
  }
  return [...results.values()].sort((a, b) => a.line - b.line);
}

function outcome(plan: Exclude<Plan, { kind: 'perRow' }>, dryRun: boolean): Omit<ImportResult, 'line' | 'externalId'> {
  const dry = dryRun ? { reason: 'dry run' } : {};
  switch (plan.kind) {
    case 'done':
      return plan.result;
    case 'update':
    case 'adopt':
      return plan.changed.length ? { status: 'updated', changed: plan.changed, ...dry } : { status: 'unchanged', ...dry };
    case 'link':
      return { status: 'linked', ...(plan.changed.length ? { changed: plan.changed } : {}), ...dry };
    case 'create':
      return { status: 'created', ...dry };
  }
}

/** The mapping row an import writes for a person: naming `userId` (null until the user is inserted), with its extensions, marked as of the export. */
function newMappingDoc(item: Item, userId: unknown, extensions: Record<string, unknown> | undefined, asOf: number | undefined): Partial<IdentityDoc> {
  return {
    _id: item.key,
    provider: item.identity.provider,
    externalId: item.identity.externalId,
    userId: userId as IdentityDoc['userId'],
    claim: null,
    status: 'active',
    ...(extensions ? { extensions } : {}),
    ...(asOf !== undefined ? { marks: { updatedAt: asOf } } : {}),
  };
}

const byKey = <T, K>(docs: T[], key: (d: T) => K) => new Map(docs.map((d) => [key(d), d] as const));

/**
 * Reads what the batch needs (a handful of `$in` reads: identity/facts.ts) and decides each row
 * with the one account decision (identity/resolve.ts) a login and a lifecycle call take; a dry
 * run stops here, so it plans exactly what the real run writes.
 */
async function planBatch(items: Item[], deps: BatchDeps, state: RunState): Promise<Map<Item, Plan>> {
  const { config, store } = deps;
  const plans = new Map<Item, Plan>();
  if (items.length === 0) return plans;
  const policyOf = (i: Identity) => policyFor(config, i.provider);
  const { read, emailHolders } = await readBatchFacts(store, items.map((i) => i.identity), policyOf, { nowMs: Date.now(), leaseMs: LEASE_MS, purpose: 'event' });

  // Rows are judged as if one by one: a row touching an email or user an earlier row touches waits.
  const touchedEmails = new Set<string>();
  const touchedUsers = new Set<string>();
  const creates: Array<{ item: Item; base: string }> = [];
  for (const item of items) {
    const { identity } = item;
    const r = read.get(item.key)!;
    const user = r.mappedUser ?? r.candidate;
    const emails = [identity.email!, user?.email].filter(Boolean) as string[];
    const users = [user, ...(emailHolders.get(identity.email!) ?? [])].filter(Boolean).map((u) => String(u!._id));
    if (emails.some((e) => touchedEmails.has(e)) || users.some((u) => touchedUsers.has(u)) || Object.keys(identity.thirdPartyIds).length > 0) {
      plans.set(item, { kind: 'perRow' });
      continue;
    }
    emails.forEach((e) => touchedEmails.add(e));
    users.forEach((u) => touchedUsers.add(u));
    const plan = decide(item, r, emailHolders);
    plans.set(item, plan);
    if (plan.kind === 'create') creates.push({ item, base: usernameBase(identity) });
  }

  function decide(item: Item, r: ReadFacts, holders: Map<string, any[]>): Plan {
    const { identity } = item;
    const d = resolveAccount(identity, r.facts, policyOf(identity), 'event');
    const takenBy = (user: any) => (holders.get(identity.email!) ?? []).some((u) => String(u._id) !== String(user._id));
    const mappingDoc = (userId: unknown, extensions?: Record<string, unknown>) => newMappingDoc(item, userId, extensions, deps.asOf);
    switch (d.kind) {
      case 'refuse':
        return { kind: 'done', result: { status: CONFLICT_CODES.has(d.code) ? 'conflict' : 'invalid', reason: `${d.code}: ${d.reason}` } };
      case 'defer':
        return { kind: 'perRow' };
      case 'known': {
        const user = r.mappedUser!;
        if (deps.asOf !== undefined && eventIsStale(deps.asOf, latestMarks(r.mapping?.marks, { updatedAt: user.shinegoldUpdatedAt }).updatedAt)) {
          return { kind: 'done', result: { status: 'unchanged', reason: 'the main site sent an update after this export; it is kept' } };
        }
        const plan = planSync(user, r.mapping!.extensions, identity, config, { emailTakenByOther: !!identity.email && identity.email !== user.email && takenBy(user), event: true });
        if (plan.changed.length === 0) return { kind: 'done', result: { status: 'unchanged', ...(deps.dryRun ? { reason: 'dry run' } : {}) } };
        return { kind: 'update', userId: user._id, userSet: plan.user, extensions: plan.extensions, changed: plan.changed };
      }
      case 'adopt': {
        const user = r.candidate!;
        const p = planSync(user, undefined, identity, config, { emailTakenByOther: !!identity.email && identity.email !== user.email && takenBy(user), event: true });
        return { kind: 'adopt', userId: user._id, userSet: p.user, mapping: mappingDoc(user._id, p.extensions), changed: p.changed };
      }
      case 'link': {
        const user = r.candidate!;
        const p = planSync(user, undefined, identity, config, { emailTakenByOther: false, event: true });
        const primary = policyOf(identity).primary;
        return { kind: 'link', userId: user._id, userSet: { ...p.user, ...(primary ? { shinegoldUserId: identity.externalId } : {}) }, mapping: mappingDoc(user._id, p.extensions), changed: p.changed };
      }
      case 'create':
        return { kind: 'create', user: {}, mapping: mappingDoc(null, firstRowExtensions(identity, config, true)) };
    }
  }

  if (!deps.dryRun && creates.length) await assignUsernames(creates, plans, store, config, deps.asOf, state.usernames);
  return plans;
}

async function assignUsernames(
  creates: Array<{ item: Item; base: string }>,
  plans: Map<Item, Plan>,
  store: Store,
  config: ShinegoldConfig,
  asOf: number | undefined,
  known?: Set<string>,
) {
  const taken =
    known ??
    new Set<string>((await store.User.find({ username: { $in: [...new Set(creates.map((c) => c.base))] } }).select('username').lean<any[]>()).map((u) => u.username));
  const chosen: Array<{ c: (typeof creates)[number]; name: string }> = [];
  for (const c of creates) {
    let name = c.base;
    while (taken.has(name)) name = `${c.base}-${randomBytes(3).toString('hex')}`;
    taken.add(name);
    chosen.push({ c, name });
  }
  // A random suffix could meet an existing name: ask once more, then widen it, as provision.ts does.
  const suffixed = known ? [] : chosen.filter((x) => x.name !== x.c.base).map((x) => x.name);
  const clash = new Set(
    suffixed.length ? (await store.User.find({ username: { $in: suffixed } }).select('username').lean<any[]>()).map((u) => u.username) : [],
  );
  for (const { c, name } of chosen) {
    const plan = plans.get(c.item) as Extract<Plan, { kind: 'create' }>;
    const username = clash.has(name) ? `${c.base}-${randomBytes(6).toString('hex')}` : name;
    const id = new store.mongoose.Types.ObjectId();
    plan.user = {
      _id: id,
      ...newUserFields(c.item.identity, config, username),
      ...(policyFor(config, c.item.identity.provider).primary ? { shinegoldUserId: c.item.identity.externalId } : {}),
      ...(asOf !== undefined ? { shinegoldUpdatedAt: asOf } : {}),
    };
    plan.mapping.userId = id;
  }
}

/**
 * Insert first: every row is tried as a new user (then its mapping); the unique indexes on
 * `shinegoldUserId` and the email refuse the rows whose person already has an account, and
 * only those are read and planned. A first import of a large file then costs two inserts per
 * batch and no reads. Returns the rows decided here and the rest.
 */
async function insertFirst(items: Item[], deps: BatchDeps, state: RunState): Promise<{ done: Map<Item, Omit<ImportResult, 'line' | 'externalId'>>; rest: Item[] }> {
  const plans = new Map<Item, Plan>();
  const creates: Array<{ item: Item; base: string }> = [];
  for (const item of items) {
    const plan: Plan = {
      kind: 'create',
      user: {},
      mapping: newMappingDoc(item, null, firstRowExtensions(item.identity, deps.config, true), deps.asOf),
    };
    plans.set(item, plan);
    creates.push({ item, base: usernameBase(item.identity) });
  }
  await assignUsernames(creates, plans, deps.store, deps.config, deps.asOf, state.usernames);
  await writeBatch(plans, deps);
  const done = new Map<Item, Omit<ImportResult, 'line' | 'externalId'>>();
  const rest: Item[] = [];
  for (const [item, plan] of plans) {
    // Refused by a unique index: this person has an account already; read and plan it.
    if (plan.kind === 'perRow') rest.push(item);
    else done.set(item, outcome(plan as Exclude<Plan, { kind: 'perRow' }>, false));
  }
  return { done, rest };
}

/** Writes a planned batch: users first, mappings last (see the race note at the top). */
async function writeBatch(plans: Map<Item, Plan>, deps: BatchDeps): Promise<void> {
  const { User, Identity } = deps.store;
  const chunk = Math.max(1, deps.updateChunk ?? 500);
  const lanes = Math.max(1, deps.insertLanes ?? 4);
  const entries = [...plans.entries()];
  const of = <K extends Plan['kind']>(k: K) => entries.filter(([, p]) => p.kind === k) as Array<[Item, Extract<Plan, { kind: K }>]>;

  const bulk = async (model: typeof User, ops: any[]) => {
    for (let i = 0; i < ops.length; i += chunk) await model.bulkWrite(ops.slice(i, i + chunk), { ordered: false });
  };
  // data-schemas' updateUser: $set the fields, drop the unverified-account expiry; with the
  // export's time, record it (ordering.ts) and never write over a later update.
  const asOf = deps.asOf;
  const userUpdate = (userSet: Record<string, unknown>) => ({ $set: userSet, $unset: { expiresAt: '' }, ...(asOf !== undefined ? { $max: { shinegoldUpdatedAt: asOf } } : {}) });
  const newer = (field: string) => (asOf !== undefined ? notNewerThan(field, asOf) : {});

  // 1. Mapped users that changed, and their mappings' extensions.
  const updates = of('update');
  await bulk(User, updates.filter(([, p]) => Object.keys(p.userSet).length).map(([, p]) => ({ updateOne: { filter: { _id: p.userId, ...newer('shinegoldUpdatedAt') }, update: userUpdate(p.userSet) } })));
  await bulk(
    Identity as any,
    updates
      .filter(([, p]) => p.extensions)
      .map(([i, p]) => ({ updateOne: { filter: { _id: i.key, ...newer('marks.updatedAt') }, update: { $set: { extensions: p.extensions }, ...(asOf !== undefined ? { $max: { 'marks.updatedAt': asOf } } : {}) } } })),
  );

  // 2. Adopted users' changes, and links: the link is conditional, so two shinegold ids racing
  //    for one account cannot both win; the winner is read back.
  const adopts = of('adopt');
  await bulk(User, adopts.filter(([, p]) => Object.keys(p.userSet).length).map(([, p]) => ({ updateOne: { filter: { _id: p.userId }, update: userUpdate(p.userSet) } })));
  const links = of('link');
  await bulk(
    User,
    links.map(([i, p]) => ({
      updateOne: {
        filter: { _id: p.userId, $or: [{ shinegoldUserId: { $exists: false } }, { shinegoldUserId: null }, { shinegoldUserId: i.identity.externalId }] },
        update: userUpdate(p.userSet),
      },
    })),
  );
  if (links.length) {
    const holder = byKey(await User.find({ _id: { $in: links.map(([, p]) => p.userId) } }).select('shinegoldUserId').lean<any[]>(), (u) => String(u._id));
    for (const [item, p] of links) if (holder.get(String(p.userId))?.shinegoldUserId !== item.identity.externalId) plans.set(item, { kind: 'perRow' });
  }

  // 3. New users through data-schemas' User model (its defaults, validation and hooks).
  const creates = of('create');
  const inserted = new Set<Item>();
  if (creates.length) {
    const res = await insertMany(User, creates.map(([, p]) => p.user), lanes);
    creates.forEach(([item], idx) => {
      const failure = res.failed.get(idx);
      if (!failure) inserted.add(item);
      else if (failure.validation) plans.set(item, { kind: 'done', result: { status: 'invalid', reason: `rejected by LibreChat's user schema: ${failure.message}` } });
      else plans.set(item, { kind: 'perRow' });
    });
  }

  // 4. Mappings last. A duplicate means a login took this identity meanwhile.
  const mapped = [...of('adopt'), ...of('link'), ...creates.filter(([i]) => inserted.has(i))];
  if (mapped.length === 0) return;
  const res = await insertMany(Identity as any, mapped.map(([, p]) => p.mapping), lanes);
  for (const [idx, failure] of res.failed) {
    const [item, plan] = mapped[idx];
    if (failure.validation || !failure.duplicate) throw new Error(failure.message);
    plans.set(item, await settleRace(item, plan, deps));
  }
}

/**
 * A login inserted this identity's mapping while the batch was writing. `provision` waits for
 * its lease and returns the user the mapping ended with; a user this batch created is kept if
 * that is the one, and deleted if not (nothing maps to it then, so no session can hold it).
 */
async function settleRace(item: Item, plan: Extract<Plan, { kind: 'adopt' | 'link' | 'create' }>, deps: BatchDeps): Promise<Plan> {
  try {
    const r = await deps.provisioner.provision(item.identity, 'import');
    const ours = String(plan.kind === 'create' ? plan.user._id : plan.userId);
    if (String(r.user._id) === ours) return plan;
    if (plan.kind === 'create' && !(await deps.store.Identity.exists({ userId: plan.user._id }))) {
      await deps.store.User.deleteOne({ _id: plan.user._id }).catch(() => undefined);
    }
    const status: ImportStatus = r.created ? 'created' : r.linked ? 'linked' : r.sync.changed.length ? 'updated' : 'unchanged';
    return { kind: 'done', result: { status, ...(r.sync.changed.length ? { changed: r.sync.changed } : {}), reason: 'settled with a concurrent login' } };
  } catch (e) {
    if (isRefusal(e)) return { kind: 'done', result: { status: CONFLICT_CODES.has(e.code) ? 'conflict' : 'invalid', reason: `${e.code}: ${e.message}` } };
    return { kind: 'done', result: { status: 'error', reason: (e as Error).message } };
  }
}

interface InsertFailure {
  message: string;
  validation: boolean;
  duplicate: boolean;
}

const builders = new WeakMap<object, LeanDocBuilder>();

/**
 * Unordered insert of documents built as the model would build them (`lean-docs.ts`), split
 * across `lanes` parallel commands: which documents (by index) were not written, and why. A
 * row the schema refuses is a validation failure and is not sent.
 */
async function insertMany(model: any, docs: Record<string, unknown>[], lanes: number): Promise<{ failed: Map<number, InsertFailure> }> {
  const failed = new Map<number, InsertFailure>();
  let builder = builders.get(model);
  if (!builder) builders.set(model, (builder = leanDocBuilder(model)));
  const built: Record<string, unknown>[] = [];
  const at: number[] = [];
  docs.forEach((d, i) => {
    const r = builder!.build(d);
    if ('error' in r) failed.set(i, { message: r.error, validation: true, duplicate: false });
    else {
      built.push(r.doc);
      at.push(i);
    }
  });
  const size = Math.ceil(built.length / lanes);
  const parts: number[] = [];
  for (let from = 0; from < built.length; from += size) parts.push(from);
  const outcomes = await Promise.allSettled(parts.map((from) => model.insertMany(built.slice(from, from + size), { ordered: false, lean: true, rawResult: true })));
  outcomes.forEach((o, part) => {
    if (o.status === 'fulfilled') return;
    const e = o.reason;
    if (!Array.isArray(e?.writeErrors)) throw e;
    for (const w of e.writeErrors) {
      const idx = w.index ?? w.err?.index;
      if (typeof idx !== 'number' || at[parts[part] + idx] === undefined) continue;
      const message = String(w.errmsg ?? w.err?.errmsg ?? w.message ?? 'write refused');
      failed.set(at[parts[part] + idx], { message, validation: false, duplicate: isDuplicateKey({ code: w.code ?? w.err?.code, errmsg: message }) });
    }
  });
  return { failed };
}
