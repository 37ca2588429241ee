import type { ShinegoldConfig } from '../config/schema';
import { USER_FIELDS, WITH_PASSWORD } from '../store/constants';
import { IdentityDoc, identityKey, Store } from '../store/models';
import type { Identity } from './map';
import { AccountFacts, needsPasswordFact, ResolvePolicy, UserFacts } from './resolve';

/**
 * The facts the account decision (resolve.ts) needs, read from LibreChat's database: for one
 * person (a login, a lifecycle call, an import row) and for a batch of people with a few `$in`
 * reads (the batched import). Both return the same facts for the same data; the documents they
 * read come along, for whoever executes the decision.
 *
 * The single reader reads in the decision's order and stops where nothing later can change it
 * (a banned row, a known user): a returning person costs one or two reads, a person chat has
 * not seen the mapping read and one round trip of reads of users (readAccounts).
 */
export type UserDoc = Record<string, any>;

export interface ReadFacts {
  facts: AccountFacts;
  mapping: IdentityDoc | null;
  mappedUser: UserDoc | null;
  /** The account the decision would adopt or link (userWithId, else emailUsers[0]). */
  candidate: UserDoc | null;
  /**
   * Whether some account holds the username asked for (`opts.username`), learnt beside the
   * accounts (readAccounts); undefined when it was not asked or not read.
   */
  usernameTaken?: boolean;
}

export function policyFor(config: ShinegoldConfig, provider: string): ResolvePolicy {
  const p = config.providers.find((x) => x.name === provider);
  if (!p) throw new TypeError(`no provider named ${provider}`);
  const primary = config.providers.find((x) => x.primary) ?? config.providers[0];
  return { primary: p.primary, primaryName: primary.name, linking: p.linking };
}

const userFacts = (u: UserDoc): UserFacts => ({ _id: String(u._id), shinegoldUserId: u.shinegoldUserId ?? null, provider: u.provider ?? null, email: u.email ?? null });

/** The state of a row's creation lease at `now`. */
export function leaseState(row: IdentityDoc, nowMs: number, leaseMs: number): 'none' | 'held' | 'stale' {
  if (!row.claim) return 'none';
  return nowMs - new Date(row.claim.at).getTime() > leaseMs ? 'stale' : 'held';
}

function mappingFacts(row: IdentityDoc | null, nowMs: number, leaseMs: number): AccountFacts['mapping'] {
  return row ? { status: row.status, userId: row.userId ? String(row.userId) : null, lease: leaseState(row, nowMs, leaseMs) } : null;
}

export async function readFacts(
  store: Store,
  identity: Identity,
  policy: ResolvePolicy,
  opts: { nowMs: number; leaseMs: number; mapping?: IdentityDoc | null; purpose?: 'login' | 'event'; username?: string },
): Promise<ReadFacts> {
  const { User, Identity: Mapping, methods } = store;
  const key = identityKey(identity.provider, identity.externalId);
  const mapping = opts.mapping !== undefined ? opts.mapping : await Mapping.findById(key).lean<IdentityDoc>();
  const none: AccountFacts = { mapping: mappingFacts(mapping, opts.nowMs, opts.leaseMs), mappedUser: null, userWithId: null, emailUsers: [], emailUserLinks: [], emailUserHasPassword: false };
  if (mapping && mapping.status !== 'active' && !(opts.purpose === 'event' && mapping.status === 'banned' && mapping.userId)) return { facts: none, mapping, mappedUser: null, candidate: null };
  if (mapping?.userId) {
    const mappedUser = (await methods.getUserById(String(mapping.userId), USER_FIELDS)) ?? null;
    return { facts: { ...none, mappedUser: mappedUser && userFacts(mappedUser) }, mapping, mappedUser, candidate: null };
  }
  if (none.mapping?.lease === 'held') return { facts: none, mapping, mappedUser: null, candidate: null };
  const accounts = await readAccounts(store, identity, policy, opts.username);
  const usernameTaken = accounts.usernameTaken;
  if (accounts.byId) return { facts: { ...none, userWithId: userFacts(accounts.byId) }, mapping, mappedUser: null, candidate: accounts.byId, usernameTaken };
  if (!identity.email) return { facts: none, mapping, mappedUser: null, candidate: null, usernameTaken };
  const emailUsers = accounts.emailUsers;
  if (emailUsers.length !== 1) return { facts: { ...none, emailUsers: emailUsers.map(userFacts) }, mapping, mappedUser: null, candidate: null, usernameTaken };
  const account = emailUsers[0];
  const links = await Mapping.find({ userId: account._id, _id: { $ne: key } }).select('provider externalId').lean<IdentityDoc[]>();
  const hasPassword = needsPasswordFact(policy.linking, userFacts(account)) ? (await User.exists({ _id: account._id, ...WITH_PASSWORD })) !== null : false;
  return {
    facts: { ...none, emailUsers: [userFacts(account)], emailUserLinks: links.map((l) => ({ provider: l.provider, externalId: l.externalId })), emailUserHasPassword: hasPassword },
    mapping,
    mappedUser: null,
    candidate: account,
    usernameTaken,
  };
}

/**
 * The user with this shinegold id (primary provider), up to two holders of the email, and
 * whether the wanted username is taken: three reads on indexed fields, sent together (one round
 * trip). Not one `$or`: MongoDB would answer it from the three indexes, but a FerretDB (the test
 * ground) reads the whole collection for it.
 */
async function readAccounts(store: Store, identity: Identity, policy: ResolvePolicy, username?: string): Promise<{ byId: UserDoc | null; emailUsers: UserDoc[]; usernameTaken?: boolean }> {
  const { User } = store;
  const [byId, emailUsers, holder] = await Promise.all([
    policy.primary ? User.findOne({ shinegoldUserId: identity.externalId }).select(USER_FIELDS).lean<UserDoc>() : null,
    identity.email ? User.find({ email: identity.email }).select(USER_FIELDS).limit(2).lean<UserDoc[]>() : [],
    username ? User.exists({ username }) : undefined,
  ]);
  return { byId: byId ?? null, emailUsers, usernameTaken: username ? holder !== null : undefined };
}

const byKey = <T, K>(docs: T[], key: (d: T) => K) => new Map(docs.map((d) => [key(d), d] as const));

/**
 * The same facts for many people at once (the batched import): a handful of `$in` reads.
 * `emailsOf` lets the caller also read the holders of emails it needs for sync (a mapped user's
 * new email), so one read serves both.
 */
export async function readBatchFacts(
  store: Store,
  identities: Identity[],
  policyOf: (identity: Identity) => ResolvePolicy,
  opts: { nowMs: number; leaseMs: number; purpose?: 'login' | 'event' },
): Promise<{ read: Map<string, ReadFacts>; emailHolders: Map<string, UserDoc[]> }> {
  const { User, Identity: Mapping } = store;
  const keys = identities.map((i) => identityKey(i.provider, i.externalId));
  const mappings = byKey(await Mapping.find({ _id: { $in: keys } }).lean<IdentityDoc[]>(), (m) => m._id);
  const mappedIds = [...mappings.values()].filter((m) => m.userId && (m.status === 'active' || (opts.purpose === 'event' && m.status === 'banned'))).map((m) => m.userId);
  const usersById = byKey(mappedIds.length ? await User.find({ _id: { $in: mappedIds } }).select(USER_FIELDS).lean<UserDoc[]>() : [], (u) => String(u._id));
  const unmapped = identities.filter((i) => !mappings.get(identityKey(i.provider, i.externalId))?.userId);
  const sgIds = unmapped.filter((i) => policyOf(i).primary).map((i) => i.externalId);
  const bySgId = byKey(sgIds.length ? await User.find({ shinegoldUserId: { $in: sgIds } }).select(USER_FIELDS).lean<UserDoc[]>() : [], (u) => String(u.shinegoldUserId));
  // Emails matter for a row without a user (linking) and for a mapped user whose email would change.
  const wanted = new Set<string>();
  for (const i of identities) {
    if (!i.email) continue;
    const m = mappings.get(identityKey(i.provider, i.externalId));
    const mapped = m?.userId ? usersById.get(String(m.userId)) : undefined;
    if (!mapped || mapped.email !== i.email) wanted.add(i.email);
  }
  const emailDocs = wanted.size ? await User.find({ email: { $in: [...wanted] } }).select(USER_FIELDS).lean<UserDoc[]>() : [];
  const emailHolders = new Map<string, UserDoc[]>();
  for (const u of emailDocs) emailHolders.set(u.email, [...(emailHolders.get(u.email) ?? []), u]);
  const candidates = unmapped.filter((i) => !bySgId.has(i.externalId) && i.email && emailHolders.get(i.email)?.length === 1).map((i) => emailHolders.get(i.email!)![0]);
  const links = candidates.length ? await Mapping.find({ userId: { $in: candidates.map((u) => u._id) } }).select('provider externalId userId').lean<IdentityDoc[]>() : [];
  const local = candidates.filter((u) => identities.some((i) => i.email === u.email && needsPasswordFact(policyOf(i).linking, userFacts(u))));
  const withPassword = new Set((local.length ? await User.find({ _id: { $in: local.map((u) => u._id) }, ...WITH_PASSWORD }).select('_id').lean<UserDoc[]>() : []).map((u) => String(u._id)));

  const read = new Map<string, ReadFacts>();
  identities.forEach((identity, n) => {
    const key = keys[n];
    const mapping = mappings.get(key) ?? null;
    const policy = policyOf(identity);
    const none: AccountFacts = { mapping: mappingFacts(mapping, opts.nowMs, opts.leaseMs), mappedUser: null, userWithId: null, emailUsers: [], emailUserLinks: [], emailUserHasPassword: false };
    if (mapping && mapping.status !== 'active' && !(opts.purpose === 'event' && mapping.status === 'banned' && mapping.userId)) return read.set(key, { facts: none, mapping, mappedUser: null, candidate: null });
    if (mapping?.userId) {
      const mappedUser = usersById.get(String(mapping.userId)) ?? null;
      return read.set(key, { facts: { ...none, mappedUser: mappedUser && userFacts(mappedUser) }, mapping, mappedUser, candidate: null });
    }
    if (none.mapping?.lease === 'held') return read.set(key, { facts: none, mapping, mappedUser: null, candidate: null });
    const byId = policy.primary ? bySgId.get(identity.externalId) : undefined;
    if (byId) return read.set(key, { facts: { ...none, userWithId: userFacts(byId) }, mapping, mappedUser: null, candidate: byId });
    const holders = identity.email ? (emailHolders.get(identity.email) ?? []) : [];
    if (holders.length !== 1) return read.set(key, { facts: { ...none, emailUsers: holders.map(userFacts) }, mapping, mappedUser: null, candidate: null });
    const account = holders[0];
    const others = links.filter((l) => String(l.userId) === String(account._id) && l._id !== key).map((l) => ({ provider: l.provider, externalId: l.externalId }));
    read.set(key, {
      facts: { ...none, emailUsers: [userFacts(account)], emailUserLinks: others, emailUserHasPassword: withPassword.has(String(account._id)) },
      mapping,
      mappedUser: null,
      candidate: account,
    });
  });
  return { read, emailHolders };
}
