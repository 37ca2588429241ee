import { ShinegoldConfig } from '../config/schema';
import { SsoRefusal } from '../errors';
import { claimAt, ValidClaims } from '../token/claims';
import { mapRole, RoleDecision } from './roles';

/**
 * What the main site says about a person, read from verified claims. Pure: no database, no
 * clock. Optional claims of the wrong type are dropped (and named in `ignored`) rather than
 * guessed at; the email is the exception, since accounts are keyed on it.
 */
export interface Identity {
  provider: string;
  externalId: string;
  email?: string;
  emailVerified: boolean;
  name?: string;
  username?: string;
  avatar?: string;
  sessionId?: string;
  /**
   * A login token's `iat` (0 when it has none). Set only for logins (authenticate.ts), never for
   * an import row or a lifecycle call: a login is refused when it predates a main-site logout.
   */
  issuedAt?: number;
  role: RoleDecision;
  extensions: Record<string, string | number | boolean | string[]>;
  /** Claim names that were present but unusable. */
  ignored: string[];
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

function optionalString(raw: unknown, path: string, ignored: string[], max = 256): string | undefined {
  const v = claimAt(raw, path);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max) {
    ignored.push(path);
    return undefined;
  }
  return v.trim();
}

export function mapIdentity(claims: ValidClaims, provider: string, config: ShinegoldConfig): Identity {
  const raw = claims.raw;
  const names = config.claims;
  const ignored: string[] = [];

  let email: string | undefined;
  const rawEmail = claimAt(raw, names.email);
  if (rawEmail !== undefined && rawEmail !== null && rawEmail !== '') {
    if (typeof rawEmail !== 'string' || rawEmail.length > 254 || !EMAIL.test(rawEmail.trim())) {
      throw new SsoRefusal('SG_TOKEN_CLAIM_INVALID', { claim: names.email, reason: 'not an email address' });
    }
    email = rawEmail.trim().toLowerCase();
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

  return {
    provider,
    externalId: claims.subject,
    email,
    emailVerified,
    name: optionalString(raw, names.name, ignored),
    username: optionalString(raw, names.username, ignored, 80),
    avatar,
    sessionId: optionalString(raw, names.sessionId, ignored),
    role: mapRole(claimAt(raw, config.roles.claim), config.roles),
    extensions,
    ignored,
  };
}
