import type { Request, Response } from 'express';
import { withDeadline } from '../deadline';
import { HTTP_STATUS, isRefusal, REFUSAL_CODES, SsoErrorCode } from '../errors';
import type { ShinegoldSSO } from '../index';
import { loginRedirect, safeReturnUrl } from '../session/return-url';
import { Env, readLibreChatEnvironment } from './environment';
import { bounceCounter, clearParentCookies, refusalHint } from './entry-state';
import { REFUSAL_PAGE_CSP, refusalTexts, renderRefusalPage } from './refusal-page';

/**
 * The login entry: where LibreChat's SPA sends a person it finds not logged in (its OpenID
 * auto-redirect to /oauth/openid, see oauth-entry.ts) and where the main site's "open chat"
 * links may point (/api/auth/sso/login). It never loops:
 *
 * 1. When the main site's cookie is there and refused for a reason the person or their admin
 *    can act on (a role it needs, banned, deleted, an account that belongs to someone else,
 *    linking refused, no email, a second factor needed, two cookies for the site), chat shows
 *    its own page: what happened and what to do, in plain words, with a link to the main site
 *    and the configured help link. The reason comes from the session bridge (a signed hint it
 *    left a moment ago) or from judging the cookie here, read only (the same decision a login
 *    would take, as a dry run).
 * 2. Otherwise (no cookie, an expired or unreadable one, logged out) the person goes to the
 *    main-site login, with `sg_reason` the main site may show, and comes back to where they were.
 * 3. Whatever the main site does, a third arrival within two minutes shows the page instead
 *    (SG_BOUNCE_LIMIT): a cycle ends within two round trips. A successful chat sign-in resets it.
 */
export const ACTIONABLE: ReadonlySet<string> = new Set([
  'SG_ROLE_REQUIRED', 'SG_USER_BANNED', 'SG_USER_DISABLED', 'SG_ACCOUNT_LINKED_ELSEWHERE', 'SG_LINK_REFUSED',
  'SG_EMAIL_MISSING', 'SG_TOKEN_DUPLICATE_COOKIE', 'SG_MFA_REQUIRED', 'SG_PROVIDER_INACTIVE', 'SG_TOKEN_CLAIM_INVALID',
]);
/** Round trips to the main-site login allowed within the bounce window. */
export const MAX_BOUNCES = 2;

/** What the main site is told about why a person comes back for a new sign-in. */
export function reasonParam(code: string | undefined): string {
  switch (code) {
    case undefined:
    case 'SG_TOKEN_MISSING':
      return 'signin';
    case 'SG_TOKEN_EXPIRED':
    case 'SG_TOKEN_TOO_OLD':
      return 'expired';
    case 'SG_TOKEN_LOGGED_OUT':
      return 'logged_out';
    default:
      return 'invalid';
  }
}

export function createEntry(sso: ShinegoldSSO, env: Env) {
  const lc = readLibreChatEnvironment(env);
  const secret = lc.refreshSecret ?? '';
  const hint = refusalHint(sso.config, secret, lc.secureCookies, sso.clock);
  const bounces = bounceCounter(sso.config, secret, lc.secureCookies, sso.clock);
  const { session, page } = sso.config;

  /** Why a login with this browser's cookie would be refused, judged here without writing. */
  async function judge(cookieHeader: string | undefined): Promise<string | undefined> {
    try {
      const { identity } = await sso.authenticator.judge({ cookieHeader });
      const plan = await withDeadline(sso.provisioner.plan(identity, 'login'));
      if (plan.decision.kind === 'refuse') return plan.decision.code;
      if (await withDeadline(sso.authenticator.sessionLoggedOut(identity))) return 'SG_TOKEN_LOGGED_OUT';
      return undefined;
    } catch (e) {
      return isRefusal(e) ? e.code : 'SG_DB_UNAVAILABLE';
    }
  }

  function showPage(req: Request, res: Response, code: string, back: string) {
    const texts = refusalTexts(code);
    const retry = code === 'SG_TOKEN_DUPLICATE_COOKIE' || code === 'SG_BOUNCE_LIMIT' || code === 'SG_DB_UNAVAILABLE' ? back : undefined;
    if (code === 'SG_TOKEN_DUPLICATE_COOKIE') clearParentCookies(res, sso.config, req.originalUrl);
    hint.clear(res);
    bounces.clear(res);
    sso.audit({ event: 'entry.refused', outcome: 'failure', code, ...sso.authenticator.who({ cookieHeader: req.headers.cookie }), detail: { page: true } });
    const status = code === 'SG_DB_UNAVAILABLE' ? 503 : HTTP_STATUS[code as SsoErrorCode] ?? 403;
    if (status === 503) res.set('Retry-After', '5');
    // The page's own policy; framed only where chat may be framed (shinegold.embedding).
    const ancestors = sso.config.embedding.frameAncestors.length ? `'self' ${sso.config.embedding.frameAncestors.join(' ')}` : "'none'";
    res.set('Content-Security-Policy', REFUSAL_PAGE_CSP.replace("frame-ancestors 'none'", `frame-ancestors ${ancestors}`));
    res
      .status(status)
      .type('html')
      .send(
        renderRefusalPage({
          deploymentName: page.deploymentName,
          heading: texts.heading,
          sentence: texts.sentence || REFUSAL_CODES[code as keyof typeof REFUSAL_CODES] || '',
          whatToDo: texts.whatToDo,
          mainSiteUrl: page.mainSiteUrl,
          ...(page.helpUrl ? { helpUrl: page.helpUrl } : {}),
          ...(retry ? { retryUrl: retry } : {}),
          code,
        }),
      );
  }

  /** Answers one arrival at the entry. `wanted` is the chat URL the person was on their way to. */
  return async function entry(req: Request, res: Response, wanted: unknown): Promise<void> {
    res.set('Cache-Control', 'no-store');
    const back = safeReturnUrl(wanted, session.allowedReturnHosts, session.chatOrigin) ?? `${session.chatOrigin}/`;
    let code = hint.read(req.headers.cookie);
    if (!code || !ACTIONABLE.has(code)) code = (await judge(req.headers.cookie)) ?? code;
    if (code && (ACTIONABLE.has(code) || code === 'SG_DB_UNAVAILABLE')) return showPage(req, res, code, back);
    const count = bounces.read(req.headers.cookie);
    if (count >= MAX_BOUNCES) return showPage(req, res, 'SG_BOUNCE_LIMIT', back);
    bounces.set(res, count + 1);
    hint.clear(res);
    const to = new URL(loginRedirect(session.loginUrl, session.returnParam, back, session.allowedReturnHosts, session.chatOrigin));
    to.searchParams.set('sg_reason', reasonParam(code));
    res.redirect(302, to.toString());
  };
}
