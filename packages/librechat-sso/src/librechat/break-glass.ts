import type { NextFunction, Request, Response, Router } from 'express';
import jwt from 'jsonwebtoken';
import { withDeadline } from '../deadline';
import { normalizeEmail } from '../identity/email';
import type { ShinegoldSSO } from '../index';
import { countAttempt, releaseAttempt } from '../store/attempts';
import type { Env } from './environment';

/**
 * Break-glass: while SSO is enforced (LibreChat's /login and /register are closed), a named local
 * LibreChat admin may still log in with its password, for when the main site is down.
 *
 * Contract:
 * - only when `shinegold.breakGlass.enabled` (off by default), only with POST to the configured
 *   path (under /api/auth, where the add-on's router is mounted), body `{ email, password }` as
 *   for LibreChat's own login;
 * - only for an account found as LibreChat's local strategy finds it (by email) whose email is
 *   listed, whose role is ADMIN, and which the main site does not govern (no shinegold link): a
 *   banned or deleted main-site user can never come in this way;
 * - the password is never read here: the request is handed to LibreChat's own `POST /login`
 *   (rate limiter, ban check, local strategy, 2FA, token issue), which decides; its 2FA step
 *   (`/2fa/verify-temp`) is let through only for a temporary token that names such an account;
 * - one answer for every refusal, ours or LibreChat's (wrong password, unknown account, not
 *   listed, locked): 403 SG_BREAK_GLASS_REFUSED after the same minimum time, so the path tells
 *   nobody which accounts are listed;
 * - at most `maxAttempts` failed attempts per account within `windowSeconds`, counted in MongoDB
 *   (every replica shares the count), then every attempt for that account is refused until the
 *   window ends; an attempt for an unknown or unlisted account counts the same way;
 * - every attempt is audited: `breakglass.refused` (with the reason, never the password), or
 *   `breakglass.used` with LibreChat's answer status once it is sent.
 */
const HANDED_OVER = Symbol.for('shinegold-sso.breakGlass');
/** Every refusal answers no sooner than this after the request arrived. */
const MIN_ANSWER_MS = 400;

/** True for a request break-glass handed to LibreChat's /login (the closed /login lets it pass). */
export function isBreakGlassLogin(req: Request): boolean {
  return (req as unknown as Record<symbol, unknown>)[HANDED_OVER] === '/login' && req.path === '/login';
}

/** True for a 2FA step of a break-glass login (the closed /2fa/verify-temp lets it pass). */
export function isBreakGlassTwoFactor(req: Request): boolean {
  return (req as unknown as Record<symbol, unknown>)[HANDED_OVER] === '/2fa/verify-temp' && req.path === '/2fa/verify-temp';
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

export function createBreakGlassRouter(sso: ShinegoldSSO, opts: { env?: Env } = {}): Router {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const env = opts.env ?? process.env;
  const router: Router = express.Router();
  const { enabled, users, path, maxAttempts, windowSeconds } = sso.config.breakGlass;
  if (!enabled) return router;
  const listed = new Set(users);
  const relative = path.slice('/api/auth'.length);
  const body = { message: 'Break-glass login is not allowed.', code: 'SG_BREAK_GLASS_REFUSED' };

  const refuse = async (req: Request, res: Response, started: number, reason: string, userId?: string) => {
    sso.audit({ event: 'breakglass.refused', outcome: 'failure', code: 'SG_BREAK_GLASS_REFUSED', userId, detail: { reason, ip: req.ip } });
    sso.metrics.breakGlass.inc({ outcome: 'refused' });
    await sleepUntil(started + MIN_ANSWER_MS);
    for (const h of res.getHeaderNames()) res.removeHeader(h);
    return res.status(403).set('Cache-Control', 'no-store').json(body);
  };
  // Parsers skip a body LibreChat's app-level parsers already read; an unreadable body is refused.
  const parse = (parser: Function) => (req: Request, res: Response, next: NextFunction) =>
    parser(req, res, (err?: unknown) => (err ? refuse(req, res, Date.now(), 'unreadable body') : next()));

  /** The account a break-glass attempt may use, or the reason it may not. */
  async function eligible(find: Record<string, unknown>): Promise<{ user?: Record<string, any>; reason?: string }> {
    const user = await sso.store.User.findOne(find).select('_id email role provider shinegoldUserId').lean<Record<string, any>>();
    if (!user) return { reason: 'no such account' };
    if (!listed.has(String(user.email ?? '').toLowerCase())) return { user, reason: 'not on the break-glass list' };
    if (user.role !== 'ADMIN') return { user, reason: 'not an ADMIN' };
    if (user.shinegoldUserId || user.provider === 'shinegold') return { user, reason: 'linked to a shinegold account' };
    return { user };
  }

  /** Hands the request to LibreChat's own handler; a failure there becomes our one refusal. */
  function handOver(req: Request, res: Response, next: NextFunction, started: number, to: '/login' | '/2fa/verify-temp', account: string, userId: string) {
    const json = res.json.bind(res);
    const send = res.send.bind(res);
    let replaced = false;
    const replace = (fn: (b: unknown) => Response) => (b: unknown): Response => {
      if (replaced || res.statusCode < 400) return fn(b);
      replaced = true;
      const status = res.statusCode;
      sso.audit({ event: 'breakglass.refused', outcome: 'failure', code: 'SG_BREAK_GLASS_REFUSED', userId, detail: { reason: `LibreChat answered ${status}`, ip: req.ip } });
      // The attempt was counted before the hand-over (reserve): a failure keeps it.
      sleepUntil(started + MIN_ANSWER_MS).then(() => {
        // Nothing of LibreChat's answer may remain (its rate-limit headers would tell a listed
        // account from an unlisted one): only what every refusal carries.
        for (const h of res.getHeaderNames()) res.removeHeader(h);
        res.status(403).set('Cache-Control', 'no-store');
        json(body);
      });
      return res;
    };
    res.json = replace(json) as Response['json'];
    res.send = replace(send) as Response['send'];
    res.once('finish', () => {
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // A success is no failed attempt: its reservation is given back.
        releaseAttempt(sso.store, `bg:${account}`).catch(() => undefined);
        sso.audit({ event: 'breakglass.used', outcome: 'success', userId, detail: { status: res.statusCode, step: to, ip: req.ip } });
      }
    });
    sso.metrics.breakGlass.inc({ outcome: 'handed_over' });
    (req as unknown as Record<symbol, unknown>)[HANDED_OVER] = to;
    req.url = to;
    return next();
  }

  router.post(relative, parse(express.json({ limit: '8kb' })), parse(express.urlencoded({ extended: false, limit: '8kb' })), async (req: Request, res: Response, next: NextFunction) => {
    const started = Date.now();
    const given = normalizeEmail(req.body?.email);
    if (!given.ok || typeof req.body?.password !== 'string') return refuse(req, res, started, 'email or password missing');
    const account = given.email;
    let found: { user?: Record<string, any>; reason?: string };
    try {
      // Every attempt is counted first (a reservation, given back on success), so attempts sent
      // at once, to one replica or several, can never get past the limit together.
      if ((await withDeadline(countAttempt(sso.store, `bg:${account}`, windowSeconds))) > maxAttempts) return refuse(req, res, started, 'too many failed attempts');
      found = await withDeadline(eligible({ email: account }));
    } catch {
      sso.audit({ event: 'breakglass.refused', outcome: 'error', code: 'SG_DB_UNAVAILABLE', detail: { ip: req.ip } });
      return res.status(503).set('Cache-Control', 'no-store').set('Retry-After', '5').json({ message: 'Sign-in is temporarily unavailable.', code: 'SG_DB_UNAVAILABLE' });
    }
    if (found.reason) return refuse(req, res, started, found.reason, found.user && String(found.user._id));
    // LibreChat's /login reads exactly the account checked above.
    req.body.email = account;
    return handOver(req, res, next, started, '/login', account, String(found.user!._id));
  });

  // The 2FA step of a break-glass login: LibreChat's /login answered a temporary token (signed
  // with JWT_SECRET, naming the account); only a token naming an eligible account goes on.
  router.post('/2fa/verify-temp', async (req: Request, res: Response, next: NextFunction) => {
    const started = Date.now();
    let userId: string | undefined;
    try {
      const p = jwt.verify(String(req.body?.tempToken ?? ''), env.JWT_SECRET ?? '', { algorithms: ['HS256'] }) as { userId?: unknown; twoFAPending?: unknown };
      if (typeof p.userId === 'string' && p.twoFAPending === true) userId = p.userId;
    } catch {
      userId = undefined;
    }
    if (!userId || !/^[a-f0-9]{24}$/i.test(userId)) return next(); // not ours to judge: the closed route answers
    const found = await eligible({ _id: userId }).catch(() => ({ reason: 'database unavailable' }) as { user?: Record<string, any>; reason?: string });
    if (found.reason) return refuse(req, res, started, `2FA step: ${found.reason}`, userId);
    const account = String(found.user!.email).toLowerCase();
    if ((await countAttempt(sso.store, `bg:${account}`, windowSeconds).catch(() => Infinity)) > maxAttempts) return refuse(req, res, started, 'too many failed attempts', userId);
    return handOver(req, res, next, started, '/2fa/verify-temp', account, userId);
  });
  return router;
}
