'use strict';
/**
 * Bench section: first visits.
 *
 *   storm     N distinct people, each on their first visit, at the same concurrency on both sides:
 *               ours     the add-on's first visit: authenticate (verify, read the facts, create
 *                        the user carrying the shinegold id, then its mapping row), then
 *                        LibreChat's session (data-schemas createSession + generateToken), as
 *                        the bridge does;
 *               native   LibreChat's own first login: data-schemas createUser + createSession +
 *                        generateToken.
 *             Two rounds, order swapped; ratio ours/native of the median users/s (goal >= 0.7).
 *   replicas  M distinct people, every one visited at the same moment by two server processes on
 *             one database (scripts/bench/storm-worker.js): afterwards exactly one user and one
 *             mapping each, no lease left.
 */
const path = require('node:path');
const { fork } = require('node:child_process');
const jwt = require('jsonwebtoken');
const { runFixed, round, median } = require('./lib');

function token({ issuer, audience, secret }, sub) {
  const t = Math.floor(Date.now() / 1000);
  return jwt.sign(
    { iss: issuer, aud: audience, sub, iat: t, exp: t + 3600, email: `${sub}@storm.example.com`, email_verified: true, name: `Storm ${sub}` },
    secret,
    { algorithm: 'HS256' },
  );
}

async function storm({ authenticator, store, keys, people, concurrency, timeoutMs, rounds = 2, log }) {
  process.env.JWT_SECRET ||= 'bench-librechat-access-secret-32-bytes!!';
  process.env.JWT_REFRESH_SECRET ||= 'bench-librechat-refresh-secret-32-bytes!';
  const m = store.methods;
  const tag = Date.now().toString(36);
  const SESSION_MS = 7 * 24 * 3600 * 1000;
  const sides = {
    ours: (r) => {
      const cookies = Array.from({ length: people }, (_, i) => ({ cookieHeader: `sg_session=${token(keys, `storm-${tag}-${r}-${i}`)}` }));
      return async (i) => {
        const a = await authenticator.authenticate(cookies[i]);
        if (!a.created) throw new Error('ours: not a first visit');
        await m.createSession(String(a.user._id), { expiresIn: SESSION_MS });
        await m.generateToken(a.user, 15 * 60 * 1000);
      };
    },
    native: (r) => async (i) => {
      const email = `native-${tag}-${r}-${i}@storm.example.com`;
      const user = await m.createUser({ provider: 'local', email, username: `native-${tag}-${r}-${i}`, name: `Native ${i}`, emailVerified: true, role: 'USER' }, undefined, true, true);
      await m.createSession(String(user._id), { expiresIn: SESSION_MS });
      await m.generateToken(user, 15 * 60 * 1000);
    },
  };
  const commands = await countCommands(store, sides, 20);
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['ours', 'native'] : ['native', 'ours'];
    const row = { round: r + 1, order: order.join(',') };
    for (const side of order) {
      log(`bench: storm round ${r + 1}/${rounds} ${side} (${people} first visits)...`);
      row[side] = await runFixed(people, concurrency, sides[side](r), timeoutMs);
    }
    out.push(row);
  }
  const ground = await groundCosts(store, tag, 100);
  const oursMed = median(out.map((x) => x.ours.perSec));
  const nativeMed = median(out.map((x) => x.native.perSec));
  return {
    description: `${people} distinct first visits x ${rounds} rounds at concurrency ${concurrency}, order swapped each round`,
    commandsPerVisit: commands,
    ground,
    rounds: out,
    medianPerSec: { ours: oursMed, native: nativeMed },
    ratioOursOverNative: round(oursMed / nativeMed, 3),
    goal: '>= 0.7',
  };
}

/**
 * Database commands per first visit on each side, counted by the driver's command monitoring
 * (the connection must be made with `monitorCommands: true`) over `n` visits one at a time,
 * before the timed rounds; by command name.
 */
async function countCommands(store, sides, n) {
  const client = store.mongoose.connection.getClient();
  const out = {};
  for (const side of ['ours', 'native']) {
    const visit = sides[side]('count');
    const seen = {};
    const on = (e) => (seen[e.commandName] = (seen[e.commandName] || 0) + 1);
    client.on('commandStarted', on);
    try {
      for (let i = 0; i < n; i++) await visit(i);
    } finally {
      client.off('commandStarted', on);
    }
    const total = Object.values(seen).reduce((a, b) => a + b, 0);
    out[side] = { total: round(total / n, 2), byCommand: Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, round(v / n, 2)])) };
  }
  return out;
}

/**
 * What one command costs on this database, one at a time, with the users the rounds left: a
 * find of users by an indexed field that matches nobody (what a first visit's reads are), a
 * find of a mapping row by _id, and data-schemas createUser. On MongoDB the first is an index
 * lookup, far cheaper than a journaled insert; a FerretDB pushes such a filter down as JSON
 * containment (`@>`), which no btree index serves, so it reads the collection. The storm's
 * ratio follows from these and the commands per visit.
 */
async function groundCosts(store, tag, n) {
  const time = async (fn) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn(i);
    return round(Number(process.hrtime.bigint() - t0) / 1e6 / n, 3);
  };
  const users = await store.User.estimatedDocumentCount();
  const findUsersByIndexedField = await time((i) => store.User.find({ email: `ground-${tag}-${i}@nobody.example.com` }).limit(2).lean());
  const findRowById = await time((i) => store.Identity.findById(`shinegold:ground-${tag}-${i}`).lean());
  const createUser = await time((i) =>
    store.methods.createUser({ provider: 'local', email: `ground-${tag}-${i}@storm.example.com`, username: `ground-${tag}-${i}`, emailVerified: true, role: 'USER' }, undefined, true, true),
  );
  return { users, msPerCommand: { findUsersByIndexedField, findRowById, createUser }, findOverInsert: round(findUsersByIndexedField / createUser, 2) };
}

/** Two processes, one database: every person visited by both at the same moment. */
async function replicas({ uri, store, keys, people, concurrency, log }) {
  const tag = Date.now().toString(36);
  const subs = Array.from({ length: people }, (_, i) => `replica-${tag}-${i}`);
  const cookies = subs.map((s) => `sg_session=${token(keys, s)}`);
  log(`bench: ${people} first visits, each sent to two server processes at once...`);
  const worker = () =>
    new Promise((resolve, reject) => {
      const child = fork(path.join(__dirname, 'storm-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.once('message', (m) => {
        if (m.ready) {
          child.send({ cookies, concurrency });
          child.once('message', (r) => {
            child.kill();
            resolve(r);
          });
        }
      });
      child.once('error', reject);
      child.once('exit', (code) => code && reject(new Error(`storm worker exited ${code}`)));
      child.send({ uri, keys });
    });
  const t0 = Date.now();
  const [a, b] = await Promise.all([worker(), worker()]);
  const wallMs = Date.now() - t0;
  const users = await store.User.aggregate([{ $match: { shinegoldUserId: { $in: subs } } }, { $group: { _id: '$shinegoldUserId', n: { $sum: 1 } } }]);
  const mappings = await store.Identity.countDocuments({ externalId: { $in: subs } });
  const leases = await store.Identity.countDocuments({ externalId: { $in: subs }, $or: [{ userId: null }, { claim: { $ne: null } }] });
  return {
    people,
    processes: [a, b],
    wallMs,
    visitsPerSec: round(((a.completed + b.completed) / wallMs) * 1000),
    users: users.reduce((s, u) => s + u.n, 0),
    peopleWithMoreThanOneUser: users.filter((u) => u.n > 1).length,
    mappings,
    leasesLeft: leases,
    oneEach: users.length === people && users.every((u) => u.n === 1) && mappings === people && leases === 0,
  };
}

function print(r, line) {
  const s = r.storm;
  console.log(`7. First visits against LibreChat's own first login: ${s.description}`);
  const c = s.commandsPerVisit;
  if (c) console.log(`   database commands per visit: ours ${c.ours.total} (${fmt(c.ours.byCommand)}), native ${c.native.total} (${fmt(c.native.byCommand)})`);
  for (const x of s.rounds) {
    console.log(`   round ${x.round} (${x.order}): ours ${x.ours.perSec} users/s (p99 ${x.ours.latencyMs.p99} ms, ${x.ours.errors} errors), native ${x.native.perSec} users/s (p99 ${x.native.latencyMs.p99} ms, ${x.native.errors} errors)`);
  }
  console.log(`   ratio ours/native (median users/s): ${s.ratioOursOverNative}  (goal ${s.goal})`);
  const g = s.ground;
  if (g) console.log(`   this database, one command at a time with ${g.users} users: find users by an indexed field ${g.msPerCommand.findUsersByIndexedField} ms, find a row by _id ${g.msPerCommand.findRowById} ms, createUser ${g.msPerCommand.createUser} ms (a find costs ${g.findOverInsert} inserts)`);
  console.log(line);
  const p = r.replicas;
  console.log(`8. ${p.people} distinct first visits, each sent to two server processes at once, one database`);
  p.processes.forEach((x, i) => console.log(`   process ${i + 1}: ${x.completed} ok, ${x.errors} errors${x.firstError ? ` (${x.firstError})` : ''}, ${x.created} created here, p99 ${x.latencyMs.p99} ms`));
  console.log(`   wall ${p.wallMs} ms, ${p.visitsPerSec} visits/s; users ${p.users}, mappings ${p.mappings}, people with more than one user ${p.peopleWithMoreThanOneUser}, leases left ${p.leasesLeft} -> one each: ${p.oneEach ? 'yes' : 'NO'}`);
  console.log(line);
}

const fmt = (by) => Object.entries(by).map(([k, v]) => `${k} ${v}`).join(', ');

module.exports = { storm, replicas, print };
