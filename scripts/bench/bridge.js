'use strict';
/**
 * Bench section: the session bridge against LibreChat's own refresh, over HTTP on loopback, on
 * the LibreChat stand-in (packages/sandbox) with and without the add-on, same database, same run.
 *
 *   native   LibreChat unpatched: POST /api/auth/refresh with its refreshToken cookie (find the
 *            session, rotate the refresh token, sign an access token). Each worker follows its
 *            own rotating cookie, as a browser does.
 *   bridge   the add-on, no LibreChat session yet: POST /api/auth/refresh with the parent cookie
 *            only -> verify, find the (known) user, createSession, generateToken, set cookies.
 *   pass     the add-on, both cookies for the same user: the parent cookie is judged, then
 *            LibreChat's own refresh runs (the steady state of a logged-in tab).
 * Goal (issue 4): bridge p99 under 20 ms and within 1.5x of native p99.
 */
const jwt = require('jsonwebtoken');
const { runFixed, round, percentile } = require('./lib');

async function run({ dist, sandbox, mongoose, dataSchemas, issuer, audience, secret, requests, concurrency, rounds, log }) {
  process.env.JWT_SECRET ||= 'bench-librechat-access-secret-32-bytes!!';
  process.env.JWT_REFRESH_SECRET ||= 'bench-librechat-refresh-secret-32-bytes!';
  const env = { ...process.env, NODE_ENV: 'development' };
  const config = dist.loadConfig(
    {
      providers: [{ name: 'shinegold', issuer, audience }],
      session: { chatOrigin: 'http://chat.shinegold.test', loginUrl: 'http://shinegold.test/login', logoutUrl: 'http://shinegold.test/logout' },
    },
    { env: { SHINEGOLD_JWT_SECRET: secret } },
  );
  const sso = dist.createShinegoldSSO({ config, mongoose, dataSchemas, audit: () => {} });
  const listen = (app) =>
    new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
  const withAddon = await listen(sandbox.createLibreChatStandIn(sso, { env }));
  const without = await listen(sandbox.createLibreChatStandIn(sso, { env, addon: false }));
  const url = (s) => `http://127.0.0.1:${s.address().port}/api/auth/refresh`;
  try {
    const users = Math.max(concurrency, 16);
    const tag = Date.now().toString(36);
    const now = () => Math.floor(Date.now() / 1000);
    const parent = Array.from({ length: users }, (_, i) =>
      jwt.sign({ iss: issuer, aud: audience, sub: `bridge-${tag}-${i}`, iat: now(), exp: now() + 3600, email: `bridge-${tag}-${i}@bench.example.com`, email_verified: true }, secret, { algorithm: 'HS256' }),
    );
    // One bridge login per user first: the users exist, as for a returning visitor.
    const rt = [];
    for (let i = 0; i < users; i++) {
      const r = await fetch(url(withAddon), { method: 'POST', headers: { cookie: `sg_session=${parent[i]}` } });
      if (r.status !== 200) throw new Error(`bridge warm-up answered ${r.status}`);
      rt[i] = /refreshToken=([^;]+)/.exec(r.headers.get('set-cookie') || '')[1];
    }
    const refreshCookie = (res, i) => {
      const m = /refreshToken=([^;]+)/.exec(res.headers.get('set-cookie') || '');
      if (m) rt[i] = m[1];
    };
    const sides = {
      native: async (i) => {
        const u = i % users;
        const r = await fetch(url(without), { method: 'POST', headers: { cookie: `refreshToken=${rt[u]}; token_provider=librechat` } });
        const body = await r.json();
        if (r.status !== 200 || !body.token) throw new Error(`native ${r.status}`);
        refreshCookie(r, u);
      },
      bridge: async (i) => {
        const r = await fetch(url(withAddon), { method: 'POST', headers: { cookie: `sg_session=${parent[i % users]}` } });
        const body = await r.json();
        if (r.status !== 200 || !body.token) throw new Error(`bridge ${r.status}`);
      },
      pass: async (i) => {
        const u = i % users;
        const r = await fetch(url(withAddon), { method: 'POST', headers: { cookie: `sg_session=${parent[u]}; refreshToken=${rt[u]}; token_provider=librechat` } });
        const body = await r.json();
        if (r.status !== 200 || !body.token) throw new Error(`pass ${r.status}`);
        refreshCookie(r, u);
      },
    };
    // Workers share users by index, so one user's cookie chain is never used by two at once.
    const chainSafe = (fn) => {
      let next = 0;
      const busy = new Set();
      return async () => {
        let i = next++;
        while (busy.has(i % users)) i = next++;
        busy.add(i % users);
        try {
          await fn(i);
        } finally {
          busy.delete(i % users);
        }
      };
    };
    for (const side of Object.keys(sides)) await runFixed(Math.min(200, requests), concurrency, chainSafe(sides[side]));
    const all = { native: [], bridge: [], pass: [] };
    const order = ['native', 'bridge', 'pass'];
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 ? [...order].reverse() : order) {
        log(`bench: bridge round ${r + 1}/${rounds} ${side}...`);
        all[side].push(await runFixed(requests, concurrency, chainSafe(sides[side])));
      }
    }
    const summary = {};
    for (const side of order) {
      const runs = all[side];
      summary[side] = {
        perSec: round(runs.reduce((a, x) => a + x.perSec, 0) / runs.length),
        p50: round(percentile(runs.map((x) => x.latencyMs.p50), 50)),
        p99: round(percentile(runs.map((x) => x.latencyMs.p99), 50)),
        errors: runs.reduce((a, x) => a + x.errors, 0),
        firstError: runs.map((x) => x.firstError).find(Boolean),
      };
    }
    return {
      description: `${requests} refreshes x ${rounds} rounds at concurrency ${concurrency} over HTTP on loopback (median of per-round p50/p99)`,
      ...summary,
      ratioP99BridgeOverNative: round(summary.bridge.p99 / summary.native.p99, 3),
      ratioP99PassOverNative: round(summary.pass.p99 / summary.native.p99, 3),
      goal: 'bridge p99 < 20 ms and <= 1.5x native p99',
    };
  } finally {
    await Promise.all([withAddon, without].map((s) => new Promise((r) => s.close(r))));
  }
}

function print(b, line) {
  console.log(`4. Session bridge vs LibreChat's own refresh: ${b.description}`);
  for (const side of ['native', 'bridge', 'pass']) {
    const x = b[side];
    console.log(`   ${side.padEnd(8)} ${String(x.perSec).padStart(9)} req/s   p50 ${String(x.p50).padStart(7)} ms   p99 ${String(x.p99).padStart(7)} ms${x.errors ? `   ${x.errors} errors (${x.firstError})` : ''}`);
  }
  console.log(`   p99 ratio bridge/native ${b.ratioP99BridgeOverNative}, passthrough/native ${b.ratioP99PassOverNative}  (goal ${b.goal})`);
  console.log(line);
}

module.exports = { run, print };
