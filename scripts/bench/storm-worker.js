'use strict';
/**
 * One server process of the two-process first-visit bench (scripts/bench/storm.js): its own
 * mongoose connection and its own add-on instance on the shared database, nothing shared in
 * memory with the other. Receives { uri, keys }, answers { ready }, then receives
 * { cookies, concurrency }, authenticates every cookie and answers with its counts.
 */
const { Mongoose } = require('mongoose');
const dataSchemas = require('@librechat/data-schemas');
const dist = require('../../packages/librechat-sso/dist');
const { runFixed } = require('./lib');

let sso;
let mongoose;
process.on('message', async (m) => {
  try {
    if (m.uri) {
      mongoose = new Mongoose();
      await mongoose.connect(m.uri, { autoIndex: false, serverSelectionTimeoutMS: 10_000 });
      const config = dist.loadConfig(
        {
          providers: [{ name: 'shinegold', issuer: m.keys.issuer, audience: m.keys.audience }],
          session: { chatOrigin: 'http://chat.shinegold.test', loginUrl: 'http://shinegold.test/login', logoutUrl: 'http://shinegold.test/logout' },
        },
        { env: { SHINEGOLD_JWT_SECRET: m.keys.secret } },
      );
      sso = dist.createShinegoldSSO({ config, mongoose, dataSchemas, audit: () => {} });
      process.send({ ready: true });
      return;
    }
    let created = 0;
    const r = await runFixed(m.cookies.length, m.concurrency, async (i) => {
      const a = await sso.authenticator.authenticate({ cookieHeader: m.cookies[i] });
      if (a.created) created++;
    }, 120_000);
    await mongoose.disconnect();
    process.send({ ...r, created });
  } catch (e) {
    process.stderr.write(`storm worker: ${(e && e.stack) || e}\n`);
    process.exit(1);
  }
});
