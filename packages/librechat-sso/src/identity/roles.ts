import { RoleConfig } from '../config/schema';
import { SsoRefusal } from '../errors';

export interface RoleDecision {
  /** The LibreChat role the user must have after this login. */
  role: string;
  /** The claim values that were read (for the audit line). */
  values: string[];
}

/**
 * Claim value(s) -> one LibreChat role. Pure.
 * - ADMIN only when a value is listed in `adminValues`; it is also taken away when the value
 *   goes (the caller writes the decided role on every login).
 * - Otherwise the first value, in claim order, that `map` knows; else `defaultRole`.
 * - If `required` is set and none of its values is present: SG_ROLE_REQUIRED (403).
 * A claim of the wrong type counts as no values: it can only lose privileges, never gain them.
 */
export function mapRole(claimValue: unknown, cfg: RoleConfig): RoleDecision {
  const values =
    typeof claimValue === 'string'
      ? [claimValue]
      : Array.isArray(claimValue)
        ? claimValue.filter((v): v is string => typeof v === 'string')
        : [];
  if (cfg.required.length > 0 && !values.some((v) => cfg.required.includes(v))) {
    throw new SsoRefusal('SG_ROLE_REQUIRED', { required: cfg.required });
  }
  if (values.some((v) => cfg.adminValues.includes(v))) return { role: 'ADMIN', values };
  for (const v of values) {
    if (Object.prototype.hasOwnProperty.call(cfg.map, v)) return { role: cfg.map[v], values };
  }
  return { role: cfg.defaultRole, values };
}
