import { Strategy as CustomStrategy } from 'passport-custom';
import type { Authenticator } from './authenticate';
import { withDeadline } from './deadline';
import { isRefusal, SsoError, SsoUnavailable } from './errors';

/** The strategy name LibreChat's `passport.authenticate('shinegold', ...)` uses. */
export const STRATEGY_NAME = 'shinegold';

interface RequestLike {
  headers: { cookie?: string; authorization?: string };
}

/**
 * Passport adapter, and only that (openid-client's passport strategy is the model):
 * - a good token: `success(user)`;
 * - a bad token: `fail({ code, message }, 401)` (403 for a missing required role or a ban);
 * - a broken dependency (database, key server): `error(err)` with `status = 503`.
 */
export class ShinegoldStrategy extends CustomStrategy {
  constructor(private readonly auth: Authenticator) {
    super(() => undefined);
    if (!auth || typeof auth.authenticate !== 'function') throw new TypeError('ShinegoldStrategy needs an Authenticator');
    (this as { name: string }).name = STRATEGY_NAME;
  }

  authenticate(req: RequestLike): void {
    const self = this as unknown as {
      success(user: unknown, info?: unknown): void;
      fail(challenge: unknown, status?: number): void;
      error(err: unknown): void;
    };
    withDeadline(this.auth.authenticate({ cookieHeader: req.headers.cookie, authorization: req.headers.authorization }))
      .then((result) => {
        const user = result.user;
        user.id = String(user._id);
        self.success(user, { provider: result.token.provider.name, created: result.created });
      })
      .catch((e: unknown) => {
        if (isRefusal(e)) return self.fail({ code: e.code, message: e.message }, e.status);
        const err = e instanceof SsoError ? e : new SsoUnavailable('SG_DB_UNAVAILABLE', e);
        (err as { status?: number }).status = 503;
        self.error(err);
      });
  }
}
