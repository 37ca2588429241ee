import { isRevoked } from '../session/revocation';

/**
 * Access tokens LibreChat issued before a mirrored logout or a ban must stop working at once, on
 * every replica, from the first request a replica answers. LibreChat's `jwt` strategy (passport-
 * jwt) loads the user on every API call; we wrap its verify callback so a token issued before
 * `user.shinegoldRevokedBefore` gives `done(null, false)` (401) before LibreChat sees the user.
 *
 * LibreChat registers that strategy inside `startServer()`, after it has required its routes
 * (where our code loads) and before `app.listen`: `installJwtGuard` wraps `passport.use` at
 * require time, so the strategy is guarded the moment it is registered, and also guards one
 * registered already. verify is `(payload, done)` up to v0.8.8-rc1 and `(req, payload, done)`
 * on upstream main; `done` is the last argument and the payload the one before, in both.
 */
interface PassportLike {
  use?(...args: unknown[]): unknown;
  _strategy?(name: string): unknown;
  __shinegoldUseWrapped?: boolean;
}

type Verifiable = { _verify?: Function; __shinegoldGuard?: boolean; name?: string };

function guard(strategy: Verifiable | undefined): boolean {
  if (!strategy || typeof strategy._verify !== 'function') return false;
  if (strategy.__shinegoldGuard) return true;
  const original = strategy._verify;
  strategy._verify = function guarded(this: unknown, ...args: unknown[]) {
    const done = args[args.length - 1] as (err: unknown, user?: unknown, info?: unknown) => void;
    const payload = args[args.length - 2] as { iat?: unknown } | undefined;
    return original.apply(this, [
      ...args.slice(0, -1),
      (err: unknown, user: any, info: unknown) => {
        if (!err && user && isRevoked(user, payload?.iat)) return done(null, false, { code: 'SG_SESSION_REVOKED' });
        return done(err, user, info);
      },
    ]);
  };
  strategy.__shinegoldGuard = true;
  return true;
}

/**
 * Guards the strategy registered as `name` now. Returns false when none is registered (nothing
 * was wrapped). Idempotent.
 */
export function guardLibreChatJwt(passport: PassportLike, name = 'jwt'): boolean {
  return guard(passport._strategy?.(name) as Verifiable | undefined);
}

/**
 * Guards the `jwt` strategy whenever it is registered, from now on: wraps `passport.use` once.
 * Returns whether a strategy is guarded already.
 */
export function installJwtGuard(passport: PassportLike, name = 'jwt'): boolean {
  if (!passport.__shinegoldUseWrapped && typeof passport.use === 'function') {
    const use = passport.use;
    passport.use = function wrappedUse(this: unknown, ...args: unknown[]) {
      const result = use.apply(this, args);
      const strategy = (typeof args[0] === 'string' ? args[1] : args[0]) as Verifiable | undefined;
      const registered = typeof args[0] === 'string' ? args[0] : strategy?.name;
      if (registered === name) guard(strategy);
      return result;
    };
    passport.__shinegoldUseWrapped = true;
  }
  return guardLibreChatJwt(passport, name);
}
