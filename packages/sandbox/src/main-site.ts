/**
 * A stand-in for shinegold.com, built only on `@shinegold/main-site-kit`, as the real site would
 * be: a login form with demo users; logging in signs the token and sets the parent-domain
 * cookie; logging out clears it and sends the back-channel logout to chat. It keeps its own
 * sessions in memory (the real site keeps them in its own database).
 */
import { randomUUID } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { decodeJwt } from 'jose';
import { parseCookies } from '@shinegold/librechat-sso/librechat';
import { createMainSiteKit, KitOptions, MainSiteUser } from '@shinegold/main-site-kit';

export const DEMO_USERS: Record<string, Omit<MainSiteUser, 'sid'>> = {
  ada: { id: 'sg-1001', email: 'ada@shinegold.test', emailVerified: true, name: 'Ada Lovelace', username: 'ada', roles: ['admin'], extra: { vip_level: 3, tags: ['early'] } },
  bob: { id: 'sg-1002', email: 'bob@shinegold.test', emailVerified: true, name: 'Bob Builder', username: 'bob', roles: ['vip'], extra: { vip_level: 1, tags: [] } },
  cy: { id: 'sg-1003', email: 'cy@shinegold.test', emailVerified: true, name: 'Cy Member', username: 'cy', roles: [], extra: { vip_level: 0, tags: [] } },
};

export interface MainSiteOptions extends KitOptions {
  /** The main site's own public origin (where /login and /logout live). */
  origin: string;
  /** Where the back-channel logout is really sent (e.g. loopback), when chatOrigin is not resolvable. */
  chatBackchannelBase?: string;
  users?: Record<string, Omit<MainSiteUser, 'sid'>>;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) =>
  `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><body style="font-family:sans-serif;max-width:40em;margin:2em auto">${body}</body>`;

export function createMainSite(opts: MainSiteOptions): Express {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const users = opts.users ?? DEMO_USERS;
  const cookieName = opts.cookieName ?? 'sg_session';
  const backchannelFetch: typeof fetch | undefined = opts.chatBackchannelBase
    ? (input, init) => fetch(new URL(new URL(String(input)).pathname, opts.chatBackchannelBase), init)
    : undefined;
  const kit = createMainSiteKit({ ...opts, fetch: backchannelFetch ?? opts.fetch });
  const sessions = new Map<string, { user: string; sub: string }>(); // sid -> who
  const chatHost = new URL(opts.chatOrigin).host;
  /** The main site's own check of a return URL: only into chat. */
  const back = (raw: unknown) => {
    try {
      const u = new URL(String(raw ?? ''));
      return u.host === chatHost && (u.protocol === 'https:' || u.protocol === new URL(opts.chatOrigin).protocol) ? u.toString() : undefined;
    } catch {
      return undefined;
    }
  };
  /** The main site's own session for this request: the sid in its cookie, looked up in `sessions`. */
  const current = (req: Request) => {
    const token = parseCookies(req.headers.cookie).get(cookieName);
    if (!token) return undefined;
    try {
      const { sid } = decodeJwt(token);
      const session = typeof sid === 'string' ? sessions.get(sid) : undefined;
      return session && { sid: sid as string, ...session };
    } catch {
      return undefined;
    }
  };

  const app: Express = express();
  app.use(express.urlencoded({ extended: false }));
  app.get(['/', '/login'], (req: Request, res: Response) => {
    const who = current(req);
    const returnTo = back(req.query.return_to) ?? kit.chatLink('/');
    res.set('Cache-Control', 'no-store').send(
      page(
        'shinegold.com (stand-in)',
        `<h1>shinegold.com</h1><p id="main-status">${who ? `Logged in as <b id="main-who">${esc(users[who.user]?.name)}</b>` : 'Not logged in'}</p>
        <form method="post" action="/login"><input type="hidden" name="return_to" value="${esc(returnTo)}">
        ${Object.keys(users).map((u) => `<button id="login-${esc(u)}" name="user" value="${esc(u)}">Log in as ${esc(u)}</button>`).join(' ')}</form>
        <p><a id="open-chat" href="${esc(kit.chatLink('/'))}">Open chat</a> · <a id="main-logout" href="/logout">Log out</a></p>`,
      ),
    );
  });
  app.post('/login', async (req: Request, res: Response) => {
    const u = users[String(req.body.user)];
    if (!u) return res.status(400).send(page('login', '<p>Unknown demo user.</p>'));
    const sid = randomUUID();
    sessions.set(sid, { user: String(req.body.user), sub: u.id });
    res.setHeader('Set-Cookie', kit.loginCookie(await kit.signLoginToken({ ...u, sid })));
    res.redirect(303, back(req.body.return_to) ?? '/');
  });
  app.get('/logout', async (req: Request, res: Response) => {
    const who = current(req);
    res.setHeader('Set-Cookie', kit.logoutCookie());
    let told = 'no chat session to end';
    if (who) {
      sessions.delete(who.sid);
      const ok = await kit.sendBackchannelLogout({ sub: who.sub, sid: who.sid }).catch(() => false);
      told = ok ? 'chat was told (back-channel logout 200)' : 'chat did not confirm the back-channel logout';
    }
    const to = back(req.query.return_to);
    if (to) return res.redirect(303, to);
    res.set('Cache-Control', 'no-store').send(page('logged out', `<p id="main-status">Logged out of shinegold.com; ${esc(told)}.</p><p><a href="/login">Log in again</a></p>`));
  });
  return app;
}
