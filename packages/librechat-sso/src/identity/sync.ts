import type { ShinegoldConfig, SyncPolicy, ThirdPartyIdField } from '../config/schema';
import type { Identity } from './map';

/**
 * What the main site's word changes on an existing LibreChat user, decided purely from the user
 * as stored, the identity (a login token, a lifecycle call, an import row) and the per-field
 * policy:
 * - `always`: the main site is the source of truth every time;
 * - `onCreate`: set when the account is created, then left to the person;
 * - `never`: chat never takes this field from the main site.
 * Whether the identity may write at all (it must be newer than the last update: ordering.ts) is
 * decided before this, by the caller.
 */
export interface SyncPlan {
  /** Fields to $set on the LibreChat user. */
  user: Record<string, unknown>;
  /** Extension fields to store on our identity mapping (safe from LibreChat's own writes). */
  extensions?: Record<string, unknown>;
  /** Field names that change, for the audit line. */
  changed: string[];
  role?: { from: string | undefined; to: string };
  /** A role the claims would give that this login did not earn (no second factor). */
  withheld?: { role: string; reason: string };
  /** The email could not be taken because another account has it. */
  emailCollision?: boolean;
  /** Third-party id fields another user already holds: left alone (never moved). */
  idConflicts?: ThirdPartyIdField[];
}

export interface SyncFacts {
  /** The identity's email belongs to another LibreChat account. */
  emailTakenByOther: boolean;
  /** Third-party id fields whose value another user holds. */
  idsHeldByOthers?: ReadonlySet<string>;
  /**
   * The identity is an event (lifecycle, import), not a login: a role it withholds for want of a
   * second factor is not taken from a user who has it (only a login can show a second factor;
   * an event may grant no such role and take none away for that reason).
   */
  event?: boolean;
  /** The account is being created now: the `onCreate` extensions are written too. */
  created?: boolean;
}

const applies = (p: SyncPolicy) => p === 'always';
/** Extensions live on the mapping row, not on the user: a new account's come from here, not from newUserFields. */
const extensionsApply = (p: SyncPolicy, created: boolean) => p === 'always' || (created && p === 'onCreate');

/**
 * The extensions a mapping row carries when it is inserted (a login's row, provision.ts; an
 * import's, import/batch.ts), so no sync has anything left to write to it: exactly what
 * planSync would set on it.
 */
export function firstRowExtensions(identity: Identity, config: ShinegoldConfig, created: boolean): Record<string, unknown> | undefined {
  return extensionsApply(config.sync.extensions, created) && Object.keys(identity.extensions).length > 0 ? { ...identity.extensions } : undefined;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export const EMPTY_PLAN: SyncPlan = Object.freeze({ user: {}, changed: [] }) as SyncPlan;

export function planSync(
  user: Record<string, any>,
  currentExtensions: Record<string, unknown> | undefined | null,
  identity: Identity,
  config: ShinegoldConfig,
  facts: SyncFacts,
): SyncPlan {
  const s = config.sync;
  const set: Record<string, unknown> = {};
  const changed: string[] = [];
  const put = (field: string, value: unknown) => {
    if (value === undefined || same(user[field], value)) return;
    set[field] = value;
    changed.push(field);
  };
  if (applies(s.name)) put('name', identity.name);
  if (applies(s.avatar)) put('avatar', identity.avatar);
  if (applies(s.username)) put('username', identity.username);
  let emailCollision = false;
  if (applies(s.email) && identity.email && identity.email !== user.email) {
    if (facts.emailTakenByOther) emailCollision = true;
    else put('email', identity.email);
  }
  if (applies(s.emailVerified) && (!identity.email || identity.email === (set.email ?? user.email))) {
    put('emailVerified', identity.emailVerified);
  }
  let role: SyncPlan['role'];
  const withheld = identity.role.withheld;
  const keep = facts.event && withheld && user.role === withheld.role;
  if (applies(s.role) && !keep && user.role !== identity.role.role) {
    role = { from: user.role, to: identity.role.role };
    put('role', identity.role.role);
  }
  const idConflicts: ThirdPartyIdField[] = [];
  for (const [field, id] of Object.entries(identity.thirdPartyIds) as Array<[ThirdPartyIdField, string]>) {
    if (user[field] === id) continue;
    if (facts.idsHeldByOthers?.has(field)) idConflicts.push(field);
    else put(field, id);
  }
  let extensions: Record<string, unknown> | undefined;
  if (extensionsApply(s.extensions, !!facts.created) && !same(currentExtensions ?? {}, identity.extensions)) {
    extensions = { ...identity.extensions };
    changed.push('extensions');
  }
  return {
    user: set,
    ...(extensions ? { extensions } : {}),
    changed,
    ...(role ? { role } : {}),
    ...(withheld && !keep ? { withheld } : {}),
    ...(emailCollision ? { emailCollision } : {}),
    ...(idConflicts.length ? { idConflicts } : {}),
  };
}

/** The fields a brand-new user gets. Every field is taken, whatever its policy, except `never`. */
export function newUserFields(identity: Identity, config: ShinegoldConfig, username: string): Record<string, unknown> {
  const s = config.sync;
  const defaultRole = config.providers.find((p) => p.name === identity.provider)?.roles.defaultRole ?? config.roles.defaultRole;
  const data: Record<string, unknown> = {
    provider: 'shinegold',
    email: identity.email,
    emailVerified: s.emailVerified === 'never' ? false : identity.emailVerified,
    username,
    role: s.role === 'never' ? defaultRole : identity.role.role,
  };
  if (s.name !== 'never' && identity.name) data.name = identity.name;
  if (s.avatar !== 'never' && identity.avatar) data.avatar = identity.avatar;
  return data;
}

/** The username rule: the wanted name (or the email's local part), letters, digits . _ -, at most 40. */
export function usernameBase(identity: Pick<Identity, 'username' | 'email'>): string {
  return (identity.username || identity.email?.split('@')[0] || 'user').toLowerCase().replace(/[^a-z0-9._-]/g, '').slice(0, 40) || 'user';
}
