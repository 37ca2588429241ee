'use strict';
/**
 * Bench section: memory stays bounded under 100,000 distinct tokens (issue 4). Heap is read
 * after a full GC (`node --expose-gc`, which `npm run bench` passes); each phase reports the
 * heap growth from its own start, so the figures compare within this run.
 *
 *   verify    100k distinct valid login tokens through the verifier (HS256): nothing is kept.
 *   jwks      100k tokens naming 100k distinct unknown key ids against a JWKS provider: the key
 *             cache holds the provider's set only, and the key server is asked at most once per
 *             cooldown, not once per token.
 *   mapping   the hot-path mapping cache fed 100k distinct identities: at most `max` entries.
 *   replay    N distinct jti through the replay store: rows live in MongoDB, not in the process.
 */
const http = require('node:http');
const crypto = require('node:crypto');
const jwt = require('jsonwebtoken');
const { round } = require('./lib');
const { createVerifier } = require('../../packages/librechat-sso/dist/token/verify');

const gc = () => (global.gc ? (global.gc(), global.gc()) : undefined);
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 1048576;
};

const SESSION = { chatOrigin: 'http://chat.shinegold.test', loginUrl: 'http://shinegold.test/login', logoutUrl: 'http://shinegold.test/logout' };

async function run({ dist, store, issuer, audience, secret, tokens, replays, log }) {
  const out = { gcExposed: !!global.gc, tokens };
  const now = () => Math.floor(Date.now() / 1000);

  // verify: distinct subjects and jti, all valid.
  {
    const config = dist.loadConfig({ providers: [{ name: 'shinegold', issuer, audience }], session: SESSION }, { env: { SHINEGOLD_JWT_SECRET: secret } });
    const verifier = createVerifier(config);
    log(`bench: memory, ${tokens} distinct tokens through the verifier...`);
    const before = heapMb();
    let ok = 0;
    for (let i = 0; i < tokens; i++) {
      const t = jwt.sign({ iss: issuer, aud: audience, sub: `m-${i}`, jti: crypto.randomUUID(), iat: now(), exp: now() + 600, email: `m${i}@x.test` }, secret, { algorithm: 'HS256' });
      if ((await verifier.verify(t)).claims.subject === `m-${i}`) ok++;
    }
    out.verify = { accepted: ok, heapGrowthMb: round(heapMb() - before) };
  }

  // jwks: a key server that counts its requests; every token names a new kid.
  {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' };
    let fetches = 0;
    const server = http.createServer((_q, r) => {
      fetches++;
      r.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const config = dist.loadConfig(
        { providers: [{ name: 'shinegold', issuer, audience, insecureAllowHttpJwks: true }], session: SESSION },
        { env: { SHINEGOLD_JWKS_URI: `http://127.0.0.1:${server.address().port}/jwks.json` } },
      );
      const verifier = createVerifier(config);
      const good = jwt.sign({ iss: issuer, aud: audience, sub: 'k', iat: now(), exp: now() + 600 }, privateKey, { algorithm: 'ES256', keyid: 'k1' });
      await verifier.verify(good);
      log(`bench: memory, ${tokens} unknown key ids against a JWKS...`);
      const before = heapMb();
      const startFetches = fetches;
      const codes = {};
      // A token per kid; the signature is never reached (the kid is unknown).
      const body = Buffer.from(JSON.stringify({ iss: issuer, aud: audience, sub: 'x', iat: now(), exp: now() + 600 })).toString('base64url');
      for (let i = 0; i < tokens; i++) {
        const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: `unknown-${i}` })).toString('base64url');
        const code = await verifier.verify(`${header}.${body}.${'A'.repeat(86)}`).then(() => 'ACCEPTED', (e) => e.code || 'ERROR');
        codes[code] = (codes[code] || 0) + 1;
      }
      out.jwks = { refusals: codes, keyServerRequests: fetches - startFetches, heapGrowthMb: round(heapMb() - before) };
    } finally {
      server.close();
    }
  }

  // mapping: the bounded cache of the hot path.
  {
    const { BoundedCache } = require('../../packages/librechat-sso/dist/identity/cache');
    const cache = new BoundedCache(10_000, 60_000);
    const before = heapMb();
    const entry = (i) => ({ mapping: { _id: `shinegold:${i}`, provider: 'shinegold', externalId: String(i), userId: crypto.randomBytes(12).toString('hex'), status: 'active', claimsSnapshot: { email: `u${i}@x.test`, name: `User ${i}` } }, revokedBefore: null });
    for (let i = 0; i < 10_000; i++) cache.set(`shinegold:${i}`, entry(i));
    const atMax = heapMb();
    for (let i = 10_000; i < tokens; i++) cache.set(`shinegold:${i}`, entry(i));
    out.mapping = { max: cache.max, size: cache.size, heapAtMaxMb: round(atMax - before), heapAfterAllMb: round(heapMb() - before) };
  }

  // replay: distinct jti through the store of back-channel logout and lifecycle tokens.
  {
    const { firstUse } = require('../../packages/librechat-sso/dist/store/replay');
    log(`bench: memory, ${replays} distinct jti through the replay store...`);
    const before = heapMb();
    const expires = new Date(Date.now() + 600_000);
    let first = 0;
    for (let i = 0; i < replays; i++) if (await firstUse(store, `bench:${crypto.randomUUID()}`, 'backchannel', expires, new Date())) first++;
    out.replay = { firstUses: first, rowsInDatabase: await store.Replay.countDocuments({}), heapGrowthMb: round(heapMb() - before) };
  }
  return out;
}

function print(m, line) {
  console.log(`5. Memory under ${m.tokens} distinct tokens (heap after GC${m.gcExposed ? '' : ' - NOT exposed, figures are rough'})`);
  console.log(`   verifier:      ${m.verify.accepted} accepted, heap growth ${m.verify.heapGrowthMb} MB`);
  console.log(`   JWKS key cache: ${JSON.stringify(m.jwks.refusals)}, key server asked ${m.jwks.keyServerRequests} time(s), heap growth ${m.jwks.heapGrowthMb} MB`);
  console.log(`   mapping cache: size ${m.mapping.size} (max ${m.mapping.max}); heap ${m.mapping.heapAtMaxMb} MB at max, ${m.mapping.heapAfterAllMb} MB after all`);
  console.log(`   replay store:  ${m.replay.firstUses} first uses, ${m.replay.rowsInDatabase} rows in the database, process heap growth ${m.replay.heapGrowthMb} MB`);
  console.log(line);
}

module.exports = { run, print };
