/**
 * @shinegold/main-site-kit: what shinegold.com (Next.js + NestJS) needs to log people into chat.
 * Tested against the chat side's own verifier, so the two cannot drift.
 *
 * @example (NestJS / Express)
 *   const kit = createMainSiteKit({ issuer: 'https://shinegold.com', audience: 'chat.shinegold.com',
 *     secret: process.env.SHINEGOLD_JWT_SECRET, cookieDomain: '.shinegold.com',
 *     chatOrigin: 'https://chat.shinegold.com' });
 *   // after a successful login:
 *   const token = await kit.signLoginToken({ id: user.id, email: user.email, emailVerified: true, name: user.name, roles: user.roles, sid,
 *     amr: session.amr, authTime: session.authTime });   // how your own login went (after your 2FA)
 *   res.setHeader('Set-Cookie', kit.loginCookie(token));
 *   // on logout:
 *   res.setHeader('Set-Cookie', kit.logoutCookie());
 *   await kit.sendBackchannelLogout({ sub: user.id, sid });
 */
import { randomUUID } from 'node:crypto';
import { authenticationClaims, profileClaims } from './claims';
import { postToken } from './post';
import { inTwoMinutes, signer } from './sign';
import type { KitOptions, MainSiteUser } from './types';

export type { KitOptions, MainSiteUser } from './types';

export function createMainSiteKit(opts: KitOptions) {
  const sign = signer(opts);
  const cookieName = opts.cookieName ?? 'sg_session';
  const ttl = opts.ttlSeconds ?? 3600;
  const secure = opts.chatOrigin.startsWith('https://');

  return {
    /**
     * The login token chat verifies: iss, aud, sub, iat, exp, jti, profile and role claims, sid,
     * amr/acr/auth_time, extension claims. Rejects with a TypeError for a reserved `extra` key
     * or a malformed amr/acr/authTime.
     */
    async signLoginToken(user: MainSiteUser): Promise<string> {
      return sign(
        {
          ...profileClaims(user),
          ...authenticationClaims(user),
          sub: user.id,
          jti: randomUUID(),
          ...(user.sid ? { sid: user.sid } : {}),
        },
        Math.floor(Date.now() / 1000) + ttl,
      );
    },

    /**
     * Set-Cookie for the parent domain. HttpOnly (scripts never see it), Secure on https,
     * SameSite=Lax: sent on top-level navigation from shinegold.com to chat and on chat's own
     * same-site requests (shinegold.com and chat.shinegold.com are the same site), not on
     * cross-site subrequests.
     */
    loginCookie(token: string): string {
      return `${cookieName}=${token}; Domain=${opts.cookieDomain}; Path=/; Max-Age=${ttl}; HttpOnly; ${secure ? 'Secure; ' : ''}SameSite=Lax`;
    },

    /** Set-Cookie that clears the parent cookie (same Domain and Path, or the browser keeps it). */
    logoutCookie(): string {
      return `${cookieName}=; Domain=${opts.cookieDomain}; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; ${secure ? 'Secure; ' : ''}SameSite=Lax`;
    },

    /** A link into chat; a path is kept on the chat origin, anything else becomes the chat root. */
    chatLink(path = '/'): string {
      const p = typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.includes('\\') ? path : '/';
      return new URL(p, opts.chatOrigin).toString();
    },

    /** The OIDC Back-Channel Logout token for `sub` and/or `sid`. */
    signLogoutToken(target: { sub?: string; sid?: string }): Promise<string> {
      if (!target.sub && !target.sid) throw new TypeError('signLogoutToken: give sub or sid');
      return sign(
        { ...target, jti: randomUUID(), events: { 'http://schemas.openid.net/event/backchannel-logout': {} } },
        inTwoMinutes(),
      );
    },

    /** POSTs the logout token to chat. Resolves true on 200; never throws on a 4xx/5xx. */
    async sendBackchannelLogout(target: { sub?: string; sid?: string }): Promise<boolean> {
      const token = await this.signLogoutToken(target);
      const r = await postToken(opts, '/api/auth/sso/backchannel-logout', 'logout_token', token);
      return r.status === 200;
    },
  };
}

export type MainSiteKit = ReturnType<typeof createMainSiteKit>;

export { sendLifecycleEvent, signLifecycleToken } from './lifecycle';
export { fetchUsage, signUsageToken } from './usage';
export type { UsageQuery, UsageReply, UsageRow } from './usage';
export { authenticationClaims, profileClaims, RESERVED_CLAIMS } from './claims';
export type { CreditsAmount, LifecycleEvent, LifecycleEventName, LifecycleReply } from './lifecycle';
