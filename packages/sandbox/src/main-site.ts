/**
 * A stand-in for shinegold.com, built only on `@shinegold/main-site-kit`, as the real site would
 * be: a home page with an account menu and "Open chat", a login page with the demo people as
 * cards; logging in signs the token and sets the parent-domain cookie; logging out clears it
 * and sends the back-channel logout to chat. It keeps its own sessions in memory (the real
 * site keeps them in its own database). Element ids the browser walk reads: #main-status,
 * #main-who, #login-<user>, #open-chat, #main-logout.
 */
import { randomUUID } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { decodeJwt } from 'jose';
import { parseCookies } from '@shinegold/librechat-sso/librechat';
import { createMainSiteKit, KitOptions, MainSiteUser } from '@shinegold/main-site-kit';
import { avatar, esc, frame, Person } from './look';

export const DEMO_USERS: Record<string, Omit<MainSiteUser, 'sid'>> = {
  ada: { id: 'sg-1001', email: 'ada@shinegold.test', emailVerified: true, name: 'Ada Lovelace', username: 'ada', roles: ['admin'], amr: ['pwd', 'otp'], extra: { vip_level: 3, tags: ['early'] } },
  bob: { id: 'sg-1002', email: 'bob@shinegold.test', emailVerified: true, name: 'Bob Builder', username: 'bob', roles: ['vip'], extra: { vip_level: 1, tags: [] } },
  cy: { id: 'sg-1003', email: 'cy@shinegold.test', emailVerified: true, name: 'Cy Member', username: 'cy', roles: [], extra: { vip_level: 0, tags: [] } },
};

export interface MainSiteOptions extends KitOptions {
  /** The main site's own public origin (where /login and /logout live). */
  origin: string;
  /** Where the back-channel logout is really sent (e.g. loopback), when chatOrigin is not resolvable. */
  chatBackchannelBase?: string;
  users?: Record<string, Omit<MainSiteUser, 'sid'>>;
  /** The query parameter carrying the return URL into chat (librechat.yaml session.returnParam). */
  returnParam?: string;
  /**
   * true: a logged-in person who arrives at /login with a return URL into chat is sent straight
   * back (what the kit recommends), instead of seeing the login page again.
   */
  forwardLoggedIn?: boolean | (() => boolean);
}

const ROLE_LABEL: Record<string, string> = { admin: 'Admin', vip: 'VIP' };
const chips = (roles: string[] = []) =>
  (roles.length ? roles : ['member']).map((r) => `<span class="chip ${esc(r)}">${esc(ROLE_LABEL[r] ?? r[0]!.toUpperCase() + r.slice(1))}</span>`).join('');

export function createMainSite(opts: MainSiteOptions): Express {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const users = opts.users ?? DEMO_USERS;
  const cookieName = opts.cookieName ?? 'sg_session';
  const returnParam = opts.returnParam ?? 'return_to';
  const backchannelFetch: typeof fetch | undefined = opts.chatBackchannelBase
    ? (input, init) => fetch(new URL(new URL(String(input)).pathname, opts.chatBackchannelBase), init)
    : undefined;
  const kit = createMainSiteKit({ ...opts, cookieName, fetch: backchannelFetch ?? opts.fetch });
  const sessions = new Map<string, { user: string; sub: string }>(); // sid -> who
  const chatHost = new URL(opts.chatOrigin).host;
  const chatLink = kit.chatLink('/');
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
  const person = (key: string): Person | undefined => {
    const u = users[key];
    return u && { key, name: u.name ?? key, email: u.email, roles: u.roles ?? [] };
  };
  const send = (res: Response, status: number, title: string, who: Person | undefined, body: string) =>
    res.status(status).set('Cache-Control', 'no-store').type('html').send(frame({ title, who, chatLink, body }));
  const statusLine = (who: Person | undefined) =>
    who
      ? `<p id="main-status" class="status on">Logged in as <b id="main-who">${esc(who.name)}</b></p>`
      : '<p id="main-status" class="status">Not logged in</p>';

  const app: Express = express();
  app.use(express.urlencoded({ extended: false }));

  app.get('/', (req: Request, res: Response) => {
    const s = current(req);
    const who = s && person(s.user);
    const first = who?.name.split(' ')[0];
    send(res, 200, 'shinegold.com', who, `<section class="hero"><div>${statusLine(who)}
  <h1>${who ? `Welcome back, ${esc(first)}.` : 'Everything shinegold, one sign-in.'}</h1>
  <p class="lead">${who ? 'You are signed in to shinegold.com. Chat knows it is you: open it and carry on where you left off.' : 'Sign in once on shinegold.com and chat opens already signed in, with your name, your role and your perks.'}</p>
  <div class="row">${who ? '' : '<a class="btn primary" href="/login">Sign in</a>'}<a id="open-chat" class="btn ${who ? 'gold' : 'ghost'}" href="${esc(chatLink)}">Open chat</a></div></div>
  <div class="card product"><span class="icon" aria-hidden="true">&#10022;</span><h2>shinegold Chat</h2>
  <p class="muted" style="margin:0">Your AI assistant at ${esc(chatHost)}. No second password: it trusts your shinegold.com sign-in, and signing out here signs you out there.</p>
  ${who ? `<p style="margin:0">${chips(users[s!.user]?.roles)}</p>` : ''}</div></section>
  <section class="features"><div class="card"><h3>One sign-in</h3><p>Your shinegold.com sign-in opens chat; there is no chat password to remember.</p></div>
  <div class="card"><h3>Your account comes along</h3><p>Name, email, role and perks follow you into chat, and stay in step.</p></div>
  <div class="card"><h3>Sign out once</h3><p>Signing out here signs you out of chat, and the other way round.</p></div></section>`);
  });

  app.get('/login', (req: Request, res: Response) => {
    const s = current(req);
    const who = s && person(s.user);
    const target = back(req.query[returnParam]);
    const forward = typeof opts.forwardLoggedIn === 'function' ? opts.forwardLoggedIn() : opts.forwardLoggedIn;
    if (who && target && forward) return res.set('Cache-Control', 'no-store').redirect(303, target);
    const returnTo = target ?? chatLink;
    // Chat says why it sent the person here (`sg_reason`: signin, expired, logged_out, invalid).
    const reason = typeof req.query.sg_reason === 'string' ? req.query.sg_reason : undefined;
    const notice = reason
      ? `<p class="notice" id="main-reason">Chat asked you to sign in again (${esc(reason)}).</p>`
      : target
        ? '<p class="notice">Sign in and you go straight back to chat, where you were.</p>'
        : '';
    const cards = Object.keys(users)
      .map((key) => {
        const p = person(key)!;
        return `<div class="card user"><div class="id">${avatar(p, true)}<div><b>${esc(p.name)}</b><span>${esc(p.email)}</span></div></div>
    <div class="chips">${chips(p.roles)}</div>
    <button class="btn primary" id="login-${esc(key)}" name="user" value="${esc(key)}">Sign in as ${esc(p.name.split(' ')[0])}</button></div>`;
      })
      .join('\n');
    send(res, 200, 'Sign in · shinegold.com', who, `${statusLine(who)}<h1>Sign in to shinegold.com</h1>
  <p class="lead">Choose a demo account. There is no password in this demo: signing in sets the sign-in cookie that chat trusts.</p>${notice}
  <form method="post" action="/login"><input type="hidden" name="${esc(returnParam)}" value="${esc(returnTo)}"><fieldset class="users">
  ${cards}</fieldset></form>`);
  });

  app.post('/login', async (req: Request, res: Response) => {
    const u = users[String(req.body.user)];
    if (!u) return send(res, 400, 'Sign in · shinegold.com', undefined, '<div class="card narrow"><h2>Unknown demo account</h2><p><a class="btn primary" href="/login">Choose an account</a></p></div>');
    const sid = randomUUID();
    sessions.set(sid, { user: String(req.body.user), sub: u.id });
    res.setHeader('Set-Cookie', kit.loginCookie(await kit.signLoginToken({ ...u, sid })));
    res.redirect(303, back(req.body[returnParam]) ?? '/');
  });

  app.get('/logout', async (req: Request, res: Response) => {
    const who = current(req);
    res.setHeader('Set-Cookie', kit.logoutCookie());
    let told = 'there was no chat session to end';
    if (who) {
      sessions.delete(who.sid);
      const ok = await kit.sendBackchannelLogout({ sub: who.sub, sid: who.sid }).catch(() => false);
      told = ok ? 'chat was told (back-channel logout 200)' : 'chat did not confirm the back-channel logout';
    }
    const to = back(req.query[returnParam]);
    if (to) return res.redirect(303, to);
    send(res, 200, 'Signed out · shinegold.com', undefined, `<div class="card narrow"><h1>You are signed out</h1>
  <p id="main-status" class="muted">Logged out of shinegold.com; ${esc(told)}.</p>
  <p class="muted">Chat follows: it signs you out too at its next check.</p>
  <p class="row"><a class="btn primary" href="/login">Sign in again</a><a class="btn ghost" href="/">Home</a></p></div>`);
  });

  // For the refusal walk: the main site logs a person out everywhere in chat (a back-channel logout
  // naming only them) while keeping its own session, as a main site with an "end other sessions"
  // button does.
  app.post('/demo/logout-everywhere/:user', async (req: Request, res: Response) => {
    const u = users[String(req.params.user)];
    if (!u) return res.status(404).end();
    const ok = await kit.sendBackchannelLogout({ sub: u.id }).catch(() => false);
    res.status(ok ? 200 : 502).end();
  });

  // A main-site page that embeds chat (docs/operations.md, "Embedding"): the frame is same-site,
  // so chat's own SameSite=Strict cookies work in it; chat lets only configured origins frame it.
  app.get('/embed', (req: Request, res: Response) => {
    const path = typeof req.query.path === 'string' && req.query.path.startsWith('/') && !req.query.path.startsWith('//') ? req.query.path : '/c/new';
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(`<!doctype html><meta charset="utf-8"><title>Chat inside shinegold.com</title><h1 id="embed-title">Chat inside shinegold.com</h1>
<iframe id="chat-frame" title="chat" src="${esc(kit.chatLink(path))}" style="width:100%;height:80vh;border:1px solid #ccc"></iframe>`);
  });

  // For the operators' tools on the demo (npm start prints the line): a fresh login token of a
  // demo person, as this site would set it in the cookie, e.g. for `shinegold-sso verify-token`.
  app.get('/demo/token/:user', async (req: Request, res: Response) => {
    const u = users[String(req.params.user)];
    res.set('Cache-Control', 'no-store').type('text/plain');
    if (!u) return res.status(404).send(`no demo user ${String(req.params.user)} (known: ${Object.keys(users).join(', ')})\n`);
    res.send(`${await kit.signLoginToken({ ...u, sid: randomUUID() })}\n`);
  });
  return app;
}
