import { ShinegoldConfig, SyncPolicy } from '../config/schema';
import { Identity } from './map';

/**
 * What a login changes on an existing LibreChat user, decided purely from the user as stored,
 * the identity the token carries and the per-field policy:
 * - `always`: the main site is the source of truth on every login;
 * - `onCreate`: set when the account is created, then left to the person;
 * - `never`: chat never takes this field from the main site.
 */
export interface SyncPlan {
  /** Fields to $set on the LibreChat user. */
  user: Record<string, unknown>;
  /** Extension fields to store on our identity mapping (safe from LibreChat's own writes). */
  extensions?: Record<string, unknown>;
  /** Field names that change, for the audit line. */
  changed: string[];
  role?: { from: string | undefined; to: string };
  /** The email could not be taken because another account has it. */
  emailCollision?: boolean;
}

const applies = (p: SyncPolicy, isNew: boolean) => p === 'always' || (p === 'onCreate' && isNew);

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export function planSync(
  user: Record<string, any>,
  currentExtensions: Record<string, unknown> | undefined,
  identity: Identity,
  config: ShinegoldConfig,
  opts: { emailTakenByOther: boolean },
): SyncPlan {
  const s = config.sync;
  const set: Record<string, unknown> = {};
  const changed: string[] = [];
  const put = (field: string, value: unknown) => {
    if (value === undefined || same(user[field], value)) return;
    set[field] = value;
    changed.push(field);
  };
  if (applies(s.name, false)) put('name', identity.name);
  if (applies(s.avatar, false)) put('avatar', identity.avatar);
  if (applies(s.username, false)) put('username', identity.username);
  let emailCollision = false;
  if (applies(s.email, false) && identity.email && identity.email !== user.email) {
    if (opts.emailTakenByOther) emailCollision = true;
    else put('email', identity.email);
  }
  if (applies(s.emailVerified, false) && (!identity.email || identity.email === (set.email ?? user.email))) {
    put('emailVerified', identity.emailVerified);
  }
  let role: SyncPlan['role'];
  if (applies(s.role, false) && user.role !== identity.role.role) {
    role = { from: user.role, to: identity.role.role };
    put('role', identity.role.role);
  }
  let extensions: Record<string, unknown> | undefined;
  if (applies(s.extensions, false) && !same(currentExtensions ?? {}, identity.extensions)) {
    extensions = { ...identity.extensions };
    changed.push('extensions');
  }
  return { user: set, extensions, changed, role, emailCollision };
}

/** The fields a brand-new user gets. Every field is taken, whatever its policy, except `never`. */
export function newUserFields(identity: Identity, config: ShinegoldConfig, username: string): Record<string, unknown> {
  const s = config.sync;
  const data: Record<string, unknown> = {
    provider: 'shinegold',
    email: identity.email,
    emailVerified: s.emailVerified === 'never' ? false : identity.emailVerified,
    username,
    role: s.role === 'never' ? config.roles.defaultRole : identity.role.role,
  };
  if (s.name !== 'never' && identity.name) data.name = identity.name;
  if (s.avatar !== 'never' && identity.avatar) data.avatar = identity.avatar;
  return data;
}
