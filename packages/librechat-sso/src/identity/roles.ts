import type { MfaConfig, RoleConfig } from '../config/schema';
import { SsoRefusal } from '../errors';

export interface RoleDecision {
  /** The LibreChat role the user must have after this login. */
  role: string;
  /** The claim values that were read (for the audit line). */
  values: string[];
  /** A role the claims would give but the login did not earn (no second factor), and why. */
  withheld?: { role: string; reason: string };
}

/** How the person logged in on the main site: a second factor shows in `amr` (RFC 8176) or `acr`. */
export function hasSecondFactor(amr: unknown, acr: unknown, mfa: MfaConfig): boolean {
  const methods = Array.isArray(amr) ? amr.filter((v): v is string => typeof v === 'string') : [];
  return methods.some((v) => mfa.amr.includes(v)) || (typeof acr === 'string' && mfa.acr.includes(acr));
}

/** The claim's value(s); a claim of the wrong type counts as none: it can only lose privileges. */
export function roleValues(claimValue: unknown): string[] {
  if (typeof claimValue === 'string') return [claimValue];
  if (Array.isArray(claimValue)) return claimValue.filter((v): v is string => typeof v === 'string');
  return [];
}

function pick(values: string[], cfg: RoleConfig, allowed: (role: string) => boolean): string {
  if (allowed('ADMIN') && values.some((v) => cfg.adminValues.includes(v))) return 'ADMIN';
  for (const v of values) {
    if (Object.prototype.hasOwnProperty.call(cfg.map, v) && allowed(cfg.map[v])) return cfg.map[v];
  }
  return cfg.defaultRole;
}

/**
 * Claim value(s) -> one LibreChat role. Pure.
 * - ADMIN only when a value is listed in `adminValues`; it is also taken away when the value
 *   goes (the caller writes the decided role on every login).
 * - Otherwise the first value, in claim order, that `map` knows; else `defaultRole`.
 * - If `required` is set and none of its values is present: SG_ROLE_REQUIRED (403).
 * - A role listed in `mfa.roles` (ADMIN by default) is given only to a login that shows a second
 *   factor; without one the person gets the role they would have without it (`withheld` says
 *   what and why), or, with `mfa.requireMfa`, is refused: SG_MFA_REQUIRED (403).
 */
export function mapRole(claimValue: unknown, cfg: RoleConfig, secondFactor = true): RoleDecision {
  const values = roleValues(claimValue);
  if (cfg.required.length > 0 && !values.some((v) => cfg.required.includes(v))) {
    throw new SsoRefusal('SG_ROLE_REQUIRED', { required: cfg.required });
  }
  const role = pick(values, cfg, () => true);
  if (secondFactor || !cfg.mfa.roles.includes(role)) return { role, values };
  if (cfg.mfa.requireMfa) throw new SsoRefusal('SG_MFA_REQUIRED', { role });
  const reason = 'the main-site login shows no second factor (amr/acr)';
  return { role: pick(values, cfg, (r) => !cfg.mfa.roles.includes(r)), values, withheld: { role, reason } };
}
