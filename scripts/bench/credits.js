'use strict';
/**
 * Bench section: what a login that sets credits costs in database writes (issue 12). A known
 * person logs in again and again through the authenticator, alternately with the points last
 * applied (nothing to set) and with changed points (the balance is set); every command the
 * driver sends is counted (MongoDB command monitoring on this section's own connection).
 * The promise: a login that sets credits costs at most one write more than one that does not.
 */
const jwt = require('jsonwebtoken');
const { Mongoose } = require('mongoose');
const { median, round } = require('./lib');

const WRITES = new Set(['insert', 'update', 'findAndModify', 'delete']);
const READS = new Set(['find', 'aggregate', 'count', 'getMore']);

async function run({ dist, dataSchemas, uri, issuer, audience, secret, rounds, log }) {
  const mongoose = new Mongoose();
  await mongoose.connect(uri, { autoIndex: false, serverSelectionTimeoutMS: 10_000, monitorCommands: true });
  const counts = { writes: 0, reads: 0, names: [] };
  mongoose.connection.getClient().on('commandStarted', (e) => {
    if (WRITES.has(e.commandName)) {
      counts.writes++;
      counts.names.push(`${e.commandName} ${e.command[e.commandName]}`);
    } else if (READS.has(e.commandName)) counts.reads++;
  });
  try {
    const config = dist.loadConfig(
      {
        providers: [{ name: 'shinegold', issuer, audience }],
        session: { chatOrigin: 'http://chat.shinegold.test', loginUrl: 'http://shinegold.test/login', logoutUrl: 'http://shinegold.test/logout' },
        credits: { claim: 'points', creditsPerPoint: 1000 },
      },
      { env: { SHINEGOLD_JWT_SECRET: secret } },
    );
    const sso = dist.createShinegoldSSO({ config, mongoose, dataSchemas, audit: () => {} });
    await sso.store.ensureIndexes();
    const sub = 'bench-credits-1';
    const token = (points) => {
      const t = Math.floor(Date.now() / 1000);
      return jwt.sign({ iss: issuer, aud: audience, sub, iat: t, exp: t + 3600, email: `${sub}@bench.example.com`, email_verified: true, name: 'Bench Credits', points }, secret, { algorithm: 'HS256' });
    };
    const login = async (points) => {
      const before = { writes: counts.writes, reads: counts.reads, n: counts.names.length };
      const r = await sso.authenticator.authenticate({ cookieHeader: `sg_session=${token(points)}` });
      return { writes: counts.writes - before.writes, reads: counts.reads - before.reads, commands: counts.names.slice(before.n), userId: String(r.user._id) };
    };
    log(`bench: credits, ${rounds} rounds of a login with unchanged and with changed points...`);
    let points = 1;
    const first = await login(points); // creates the person and the balance
    const unchanged = [];
    const changed = [];
    let balanceOk = true;
    for (let i = 0; i < rounds; i++) {
      unchanged.push(await login(points));
      points++;
      changed.push(await login(points));
      const bal = await sso.credits.balances.read(first.userId);
      if (bal.tokenCredits !== points * 1000) balanceOk = false;
    }
    const w = (xs) => xs.map((x) => x.writes);
    const r = (xs) => xs.map((x) => x.reads);
    const extra = changed.map((c, i) => c.writes - unchanged[i].writes);
    return {
      rounds,
      writes: { unchanged: median(w(unchanged)), changed: median(w(changed)), maxUnchanged: Math.max(...w(unchanged)), maxChanged: Math.max(...w(changed)) },
      reads: { unchanged: median(r(unchanged)), changed: median(r(changed)) },
      extraWrites: { median: median(extra), max: Math.max(...extra) },
      ratio: median(w(unchanged)) > 0 ? round(median(w(changed)) / median(w(unchanged)), 3) : null,
      changedCommands: changed[0].commands,
      balanceAlwaysPointsTimesRate: balanceOk,
      goal: 'extra writes <= 1',
      met: Math.max(...extra) <= 1,
    };
  } finally {
    await mongoose.connection.dropDatabase().catch(() => undefined);
    await mongoose.disconnect();
  }
}

function print(c, line) {
  console.log(`6. Credits: a known person's login, ${c.rounds} rounds, points unchanged vs changed (the balance set)`);
  console.log(`   writes per login (median): unchanged ${c.writes.unchanged}, changed ${c.writes.changed}  (max ${c.writes.maxUnchanged} / ${c.writes.maxChanged})`);
  console.log(`   reads per login (median): unchanged ${c.reads.unchanged}, changed ${c.reads.changed}`);
  console.log(`   extra writes when credits are set: median ${c.extraWrites.median}, max ${c.extraWrites.max}${c.ratio !== null ? `; ratio ${c.ratio}` : ''}  (goal ${c.goal}: ${c.met ? 'met' : 'NOT met'})`);
  console.log(`   the changed login's writes: ${c.changedCommands.join(', ') || 'none'}; balance = points x rate after every round: ${c.balanceAlwaysPointsTimesRate ? 'yes' : 'NO'}`);
  console.log(line);
}

module.exports = { run, print };
