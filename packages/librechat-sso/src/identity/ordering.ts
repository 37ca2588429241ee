/**
 * The ordering rule: what the main site told chat wins over every login token issued before it.
 * One rule, pure, written out in docs/security.md ("Time"):
 *
 * Every main-site event carries its own time, the `iat` of its signed call, on the main site's
 * clock, the same clock that signs login tokens, so a wrong clock at chat cannot reorder them.
 * Chat records, per person, the time of the last event of each kind (`Marks`).
 *
 * 1. A login token issued at or before a logout everywhere, a ban or a delete is refused
 *    (`SG_TOKEN_LOGGED_OUT`), and the clock tolerance counts against the token: refused when
 *    `iat <= loggedOutAt + tolerance`. Main-site servers whose clocks differ by up to the
 *    tolerance cannot slip a token from before the logout through; the price is that a token
 *    issued within the tolerance after the logout is refused too (the person signs in again a
 *    moment later). A token without `iat` counts as issued at 0.
 * 2. A login token whose session (`sid`) the main site logged out is refused, whatever its time.
 * 3. A login token issued at or before the last profile update (`user.updated`, or an import),
 *    with the same tolerance, still logs the person in but writes nothing of what it claims:
 *    the person keeps what the update set (profile, email, roles, extension fields, credits).
 *    It is not refused because a profile change is no reason to sign someone out; and its
 *    role claims are not used to decide anything either (the required-role gate reads the
 *    update's). Every such write is also conditional in the database, so a token and an update
 *    racing each other cannot interleave the wrong way.
 * 4. Events among themselves: an event older than the last applied event of the same kind is
 *    stale and changes nothing (`updatedAt` for updates, `statusAt` for ban/unban/delete); two
 *    events in the same second are applied in the order they arrive.
 * Tokens issued after an event work as usual.
 */
export interface Marks {
  /** Seconds (main-site clock): logged out everywhere, banned or deleted at. */
  loggedOutAt?: number | null;
  /** Seconds (main-site clock): the last profile update (user.updated or import) applied. */
  updatedAt?: number | null;
  /** Seconds (main-site clock): the last ban, unban or delete applied. */
  statusAt?: number | null;
}

export interface TokenTime {
  /** The login token's `iat` (undefined when it has none). */
  iat?: number;
}

export type LoginStanding =
  | { ok: true; /** The token is newer than the last update: its claims may be written. */ mayWrite: boolean }
  | { ok: false; code: 'SG_TOKEN_LOGGED_OUT'; reason: 'session logged out' | 'logged out everywhere' };

const num = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Merges marks from several records of one person (the mapping row and the LibreChat user): the latest of each. */
export function latestMarks(...all: Array<Marks | null | undefined>): Marks {
  const out: Marks = {};
  for (const m of all) {
    if (!m) continue;
    for (const k of ['loggedOutAt', 'updatedAt', 'statusAt'] as const) {
      const v = m[k];
      if (num(v) && !(num(out[k]) && out[k]! >= v)) out[k] = v;
    }
  }
  return out;
}

/** Rules 1-3: how a login token stands against what the main site said since. */
export function loginStanding(token: TokenTime, marks: Marks, toleranceSec: number, sidLoggedOut = false): LoginStanding {
  if (sidLoggedOut) return { ok: false, code: 'SG_TOKEN_LOGGED_OUT', reason: 'session logged out' };
  const iat = num(token.iat) ? token.iat : 0;
  if (num(marks.loggedOutAt) && iat <= marks.loggedOutAt + toleranceSec) return { ok: false, code: 'SG_TOKEN_LOGGED_OUT', reason: 'logged out everywhere' };
  return { ok: true, mayWrite: !(num(marks.updatedAt) && iat <= marks.updatedAt + toleranceSec) };
}

/** Rule 4: an event older than the last one of its kind changes nothing. */
export function eventIsStale(eventIat: number, lastAt: number | null | undefined): boolean {
  return num(lastAt) && eventIat < lastAt;
}

/**
 * The database side of rule 3: a filter that matches a record only while no update newer than
 * the token (tolerance counted against the token) has been recorded on it, for conditional writes.
 */
export function writableBy(field: string, iat: number | undefined, toleranceSec: number): Record<string, unknown> {
  const limit = (num(iat) ? iat : 0) - toleranceSec;
  return { $or: [{ [field]: { $exists: false } }, { [field]: null }, { [field]: { $lt: limit } }] };
}

/** The database side of rule 4: matches a record whose last event of this kind is not newer than `eventIat`. */
export function notNewerThan(field: string, eventIat: number): Record<string, unknown> {
  return { $or: [{ [field]: { $exists: false } }, { [field]: null }, { [field]: { $lte: eventIat } }] };
}
