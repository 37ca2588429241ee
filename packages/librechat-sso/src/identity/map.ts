import type { ProviderConfig, ShinegoldConfig, ThirdPartyIdField } from '../config/schema';
import { SsoRefusal } from '../errors';
import { claimAt, ValidClaims } from '../token/claims';
import { normalizeEmail } from './email';
import { hasSecondFactor, mapRole, RoleDecision } from './roles';

/**
 * What the main site says about a person, read from verified claims (a login token, a lifecycle
 * call's `user`, an import row: all in the claim names of librechat.yaml). Pure: no database, no
 * clock. Optional claims of the wrong type are dropped and named in `ignored` rather than guessed
 * at; the email is the exception, since accounts are found by it: a bad one is refused.
 */
export interface Identity {
  provider: string;
  externalId: string;
  /** The email in its normal form (email.ts). */
  email?: string;
  emailVerified: boolean;
  name?: string;
  username?: string;
  avatar?: string;
  sessionId?: string;
  /**
   * When the main site issued what this identity was read from, on its own clock: a login
   * token's `iat` (0 when it has none), a lifecycle call's `iat`, an import's export time. The
   * ordering rule (ordering.ts) compares it with what the main site said since.
   */
  issuedAt?: number;
  /** The login showed a second factor (amr/acr). Only a login token can say so. */
  secondFactor: boolean;
  role: RoleDecision;
  extensions: Record<string, string | number | boolean | string[]>;
  /** The person's ids at other login providers, as LibreChat user fields (googleId, ...). */
  thirdPartyIds: Partial<Record<ThirdPartyIdField, string>>;
  /** The person's points (credits.claim), when the claim is there. */
  points?: number;
  /** Claim names that were present but unusable, each with why. */
  ignored: string[];
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function optionalString(raw: unknown, path: string, ignored: string[], max = 256): string | undefined {
  const v = claimAt(raw, path);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max || CONTROL.test(v)) {
    ignored.push(path);
    return undefined;
  }
  return v.trim();
}

export function providerOf(config: ShinegoldConfig, provider: ProviderConfig | string): ProviderConfig {
  const p = typeof provider === 'string' ? config.providers.find((x) => x.name === provider) : provider;
  if (!p) throw new TypeError(`mapIdentity: no provider named ${String(provider)}`);
  return p;
}

export function mapIdentity(
  claims: ValidClaims,
  providerIn: ProviderConfig | string,
  config: ShinegoldConfig,
  opts: { gateRequiredRole?: boolean } = {},
): Identity {
  const provider = providerOf(config, providerIn);
  const raw = claims.raw;
  const names = config.claims;
  const ignored: string[] = [];

  let email: string | undefined;
  const rawEmail = claimAt(raw, names.email);
  if (rawEmail !== undefined && rawEmail !== null && rawEmail !== '') {
    const e = normalizeEmail(rawEmail);
    if (!e.ok) throw new SsoRefusal('SG_TOKEN_CLAIM_INVALID', { claim: names.email, reason: e.reason });
    email = e.email;
  }
  const verifiedClaim = claimAt(raw, names.emailVerified);
  const emailVerified = verifiedClaim === true;
  if (verifiedClaim !== undefined && typeof verifiedClaim !== 'boolean') ignored.push(names.emailVerified);

  let avatar = optionalString(raw, names.avatar, ignored, 2048);
  if (avatar && !/^https:\/\//i.test(avatar)) {
    ignored.push(names.avatar);
    avatar = undefined;
  }

  const extensions: Identity['extensions'] = {};
  for (const [field, spec] of Object.entries(config.extensions)) {
    const v = claimAt(raw, spec.claim);
    if (v === undefined || v === null) continue;
    const ok =
      (spec.type === 'string' && typeof v === 'string' && v.length <= 1024) ||
      (spec.type === 'number' && typeof v === 'number' && Number.isFinite(v)) ||
      (spec.type === 'boolean' && typeof v === 'boolean') ||
      (spec.type === 'string[]' && Array.isArray(v) && v.length <= 256 && v.every((x) => typeof x === 'string' && x.length <= 256));
    if (ok) extensions[field] = v as string | number | boolean | string[];
    else ignored.push(spec.claim);
  }

  const thirdPartyIds: Identity['thirdPartyIds'] = {};
  for (const [field, claim] of Object.entries(config.thirdPartyIds) as Array<[ThirdPartyIdField, string]>) {
    const v = claimAt(raw, claim);
    if (v === undefined || v === null || v === '') continue;
    const id = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
    if (typeof id === 'string' && id.trim() !== '' && id.length <= 256 && !CONTROL.test(id)) thirdPartyIds[field] = id.trim();
    else ignored.push(claim);
  }

  let points: number | undefined;
  if (config.credits) {
    const v = claimAt(raw, config.credits.claim);
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) points = v;
    else if (v !== undefined && v !== null) ignored.push(config.credits.claim);
  }

  const secondFactor = hasSecondFactor(claimAt(raw, names.amr), claimAt(raw, names.acr), provider.roles.mfa);
  const roles = opts.gateRequiredRole === false ? { ...provider.roles, required: [] } : provider.roles;

  return {
    provider: provider.name,
    externalId: claims.subject,
    email,
    emailVerified,
    name: optionalString(raw, names.name, ignored),
    username: optionalString(raw, names.username, ignored, 80),
    avatar,
    sessionId: optionalString(raw, names.sessionId, ignored),
    issuedAt: claims.iat,
    secondFactor,
    role: mapRole(claimAt(raw, roles.claim), roles, secondFactor),
    extensions,
    thirdPartyIds,
    ...(points !== undefined ? { points } : {}),
    ignored,
  };
}
