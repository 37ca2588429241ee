#!/usr/bin/env node
'use strict';
/**
 * `npm start`: the sandbox. On an embedded database (FerretDB, or MONGO_URI), it starts
 * - a main-site stand-in on http://localhost:3000: a login form with demo users; logging in
 *   signs the main-site token and sets the `sg_session` cookie (cookies are shared across ports
 *   on localhost, as they are across *.shinegold.com with Domain=.shinegold.com);
 * - a chat stand-in on http://localhost:3080 that authenticates every page with the shinegold
 *   passport strategy and shows the LibreChat user it found or created (through the real
 *   @librechat/data-schemas), with its role and extension fields.
 * The real LibreChat session bridge is the next step (see the README's status table).
 */
const crypto = require('node:crypto');
const express = require('express');
const passport = require('passport');
const jwt = require('jsonwebtoken');
const mongoose = require('mongoose');
const dataSchemas = require('@librechat/data-schemas');
const sso = require('../packages/librechat-sso/dist');
const { startDatabase, withDbName } = require('./lib/database');

const MAIN = Number(process.env.MAIN_PORT || 3000);
const CHAT = Number(process.env.CHAT_PORT || 3080);
const secret = process.env.SHINEGOLD_JWT_SECRET || crypto.randomBytes(32).toString('hex');
const ISSUER = 'http://localhost:3000';
const AUDIENCE = 'chat.localhost';
const USERS = {
  ada: { sub: 'sg-1001', email: 'ada@shinegold.test', name: 'Ada Lovelace', roles: ['admin'], vip_level: 3, tags: ['early'] },
  bob: { sub: 'sg-1002', email: 'bob@shinegold.test', name: 'Bob Builder', roles: ['vip'], vip_level: 1, tags: [] },
  cy: { sub: 'sg-1003', email: 'cy@shinegold.test', name: 'Cy Member', roles: [], vip_level: 0, tags: [] },
};
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;max-width:40em;margin:2em auto">${body}</body>`;

(async () => {
  const db = await startDatabase();
  const m = new mongoose.Mongoose();
  await m.connect(withDbName(db.uri, 'shinegold_sandbox'), { autoIndex: false });
  const config = sso.loadConfig(
    {
      cookieName: 'sg_session',
      providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE }],
      roles: { claim: 'roles', admin: ['admin'], map: { vip: 'VIP' }, known: ['VIP'] },
      extensions: { vipLevel: { claim: 'vip_level', type: 'number' }, tags: { claim: 'tags', type: 'string[]' } },
      session: { chatOrigin: `http://localhost:${CHAT}`, loginUrl: `http://localhost:${MAIN}/login`, logoutUrl: `http://localhost:${MAIN}/logout` },
    },
    { env: { SHINEGOLD_JWT_SECRET: secret } },
  );
  const chat = sso.createShinegoldSSO({ config, mongoose: m, dataSchemas });
  await chat.store.ensureIndexes();
  passport.use(chat.strategy);

  const main = express();
  main.use(express.urlencoded({ extended: false }));
  main.get(['/', '/login'], (req, res) => {
    const back = typeof req.query.return_to === 'string' ? req.query.return_to : `http://localhost:${CHAT}/`;
    res.send(page('shinegold.com (stand-in)', `<h1>shinegold.com</h1><form method="post" action="/login">
      <input type="hidden" name="return_to" value="${esc(back)}">
      ${Object.keys(USERS).map((u) => `<button name="user" value="${u}">Log in as ${u}</button>`).join(' ')}</form>
      <p><a href="/logout">Log out</a> · <a href="http://localhost:${CHAT}/">Open chat</a></p>`));
  });
  main.post('/login', (req, res) => {
    const u = USERS[req.body.user];
    if (!u) return res.status(400).send('unknown demo user');
    const token = jwt.sign({ ...u, email_verified: true, preferred_username: req.body.user }, secret, { algorithm: 'HS256', issuer: ISSUER, audience: AUDIENCE, expiresIn: '1h' });
    res.cookie('sg_session', token, { httpOnly: true, sameSite: 'lax', path: '/' });
    const back = String(req.body.return_to || '');
    res.redirect(back.startsWith(`http://localhost:${CHAT}/`) ? back : `http://localhost:${CHAT}/`);
  });
  main.get('/logout', (_req, res) => {
    res.clearCookie('sg_session', { path: '/' });
    res.send(page('logged out', '<p>Logged out of shinegold.com. <a href="/login">Log in again</a></p>'));
  });

  const chatApp = express();
  chatApp.get('/', (req, res, next) =>
    passport.authenticate('shinegold', { session: false }, (err, user, info) => {
      if (err) return res.status(503).send(page('chat', `<p>Chat is unavailable: ${esc(err.code || err.message)}</p>`));
      if (!user) {
        const login = `http://localhost:${MAIN}/login?return_to=${encodeURIComponent(`http://localhost:${CHAT}/`)}`;
        return res.status(401).send(page('chat', `<p>Not logged in (${esc(info && info.code)}). <a href="${login}">Log in on shinegold.com</a></p>`));
      }
      chat.store.Identity.findOne({ userId: user._id }).lean().then((mapping) =>
        res.send(page('chat (stand-in)', `<h1>chat.shinegold.com</h1><p>Logged in as <b>${esc(user.name)}</b> (${esc(user.email)}), LibreChat role <b>${esc(user.role)}</b>, LibreChat user id ${esc(user._id)}, shinegold id ${esc(user.shinegoldUserId)}.</p>
        <p>Extension fields: <code>${esc(JSON.stringify(mapping && mapping.extensions))}</code></p>
        <p><a href="http://localhost:${MAIN}/logout">Log out on shinegold.com</a></p>`)), next);
    })(req, res, next),
  );

  const servers = [main.listen(MAIN, '127.0.0.1'), chatApp.listen(CHAT, '127.0.0.1')];
  console.log(`\nshinegold SSO sandbox (database: ${db.kind})\n  main site: http://localhost:${MAIN}/login  (demo users: ${Object.keys(USERS).join(', ')})\n  chat:      http://localhost:${CHAT}/\nCtrl-C to stop.`);
  const stop = async () => {
    servers.forEach((s) => s.close());
    await m.disconnect();
    await db.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
