'use strict';
/**
 * Benchmark of the shinegold SSO path against LibreChat's native path, on one real
 * MongoDB-wire database (see scripts/lib/database.js), in one process, on loopback.
 *
 * Reports figures and ratios against a baseline measured in the same run; it never passes or
 * fails on them (exit 0 when it completes, 1 only on a crash).
 *
 *   1. Known-user authentication: ours (`authenticator.authenticate`, cookie token, user already
 *      provisioned) vs LibreChat's native passport-jwt path (`jsonwebtoken.verify` HS256 +
 *      data-schemas `getUserById(id, '-password -__v -totpSecret -backupCodes')`). Interleaved
 *      rounds after a warm-up; req/s per round, medians, ratio ours/native (goal >= 0.95).
 *   2. First-visit provisioning: N distinct new users, users/s.
 *   3. 50 parallel first requests for one new person: latency p50/p99/max, then counts of
 *      users and mappings for that person (exactly 1 and 1 expected).
 *
 * Run: npm run bench (builds first), or `node scripts/bench.js` after a build.
 *   4. The session bridge against LibreChat's own refresh over HTTP (scripts/bench/bridge.js).
 *   5. Memory under 100,000 distinct tokens (scripts/bench/memory.js).
 *   6. Writes of a login that sets credits vs one that does not (scripts/bench/credits.js).
 *   7. First visits against LibreChat's own first login (createUser + createSession +
 *      generateToken), same concurrency, ratio (scripts/bench/storm.js).
 *   8. 1,000 distinct first visits, each sent to two server processes at once on one database:
 *      one user and one mapping each (scripts/bench/storm.js, storm-worker.js).
 *
 * Knobs (environment): BENCH_REQUESTS (2000), BENCH_CONCURRENCY (8), BENCH_ROUNDS (3),
 * BENCH_WARMUP (300), BENCH_NEW_USERS (300), BENCH_RACE (50), BENCH_PHASE_TIMEOUT_MS (60000),
 * BENCH_BRIDGE_REQUESTS (1000), BENCH_BRIDGE_CONCURRENCY (1), BENCH_MEMORY_TOKENS (100000), BENCH_MEMORY_REPLAYS (5000),
 * BENCH_CREDITS_ROUNDS (50),
 * BENCH_STORM_PEOPLE (300), BENCH_REPLICA_PEOPLE (1000). BENCH_ONLY=credits runs section 6 alone,
 * BENCH_ONLY=storm sections 7 and 8.
 * Results: a table on stdout, JSON in <os.tmpdir()>/shinegold-sso-bench-results.json (the
 * repository does not ignore bench-results.json, so nothing is written into the work tree).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const lib = require('./bench/lib');

const { num, nowSec, hr, ms, median, percentile, round, pad, lpad } = lib;
const REQUESTS = num('BENCH_REQUESTS', 2000);
const CONCURRENCY = num('BENCH_CONCURRENCY', 8);
const ROUNDS = num('BENCH_ROUNDS', 3);
const WARMUP = num('BENCH_WARMUP', 300);
const NEW_USERS = num('BENCH_NEW_USERS', 300);
const RACE = num('BENCH_RACE', 50);
const PHASE_TIMEOUT_MS = num('BENCH_PHASE_TIMEOUT_MS', 60_000);
const OVERALL_TIMEOUT_MS = num('BENCH_OVERALL_TIMEOUT_MS', 600_000);
const BRIDGE_REQUESTS = num('BENCH_BRIDGE_REQUESTS', 1000);
// The latency goal is per request: one browser tab refreshes at a time.
const BRIDGE_CONCURRENCY = num('BENCH_BRIDGE_CONCURRENCY', 1);
const MEMORY_TOKENS = num('BENCH_MEMORY_TOKENS', 100_000);
const MEMORY_REPLAYS = num('BENCH_MEMORY_REPLAYS', 5_000);
const CREDITS_ROUNDS = num('BENCH_CREDITS_ROUNDS', 50);
const ONLY = process.env.BENCH_ONLY;
const STORM_PEOPLE = num('BENCH_STORM_PEOPLE', 300);
const REPLICA_PEOPLE = num('BENCH_REPLICA_PEOPLE', 1000);

const ISSUER = 'https://shinegold.test';
const AUDIENCE = 'chat.shinegold.test';
const SHINEGOLD_SECRET = 'bench-shinegold-secret-at-least-32-bytes-long!!';
const LIBRECHAT_JWT_SECRET = 'bench-librechat-jwt-secret-at-least-32-bytes!!';
const NATIVE_FIELDS = '-password -__v -totpSecret -backupCodes';

const RESULTS_FILE = path.join(os.tmpdir(), 'shinegold-sso-bench-results.json');

let dist;
try {
  dist = require('../packages/librechat-sso/dist');
} catch (e) {
  process.stderr.write(`bench: cannot load packages/librechat-sso/dist (run \`npm run build\` first): ${e.message}\n`);
  process.exit(1);
}
const jwt = require('jsonwebtoken');
const dataSchemas = require('@librechat/data-schemas');
const { Mongoose } = require('mongoose');
const { startDatabase, withDbName } = require('./lib/database.js');

// ---------------------------------------------------------------------------------------------
// helpers

const runFixed = (count, concurrency, fn) => lib.runFixed(count, concurrency, fn, PHASE_TIMEOUT_MS);

function shinegoldToken(sub, over = {}) {
  const t = nowSec();
  return jwt.sign(
    {
      iss: ISSUER,
      aud: AUDIENCE,
      sub,
      iat: t,
      exp: t + 3600,
      email: `${sub}@bench.example.com`,
      email_verified: true,
      name: `Bench ${sub}`,
      ...over,
    },
    SHINEGOLD_SECRET,
    { algorithm: 'HS256' },
  );
}

// ---------------------------------------------------------------------------------------------
// main

async function main() {
  const results = {
    startedAt: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}, ${os.cpus().length} cpu(s)`,
    settings: { REQUESTS, CONCURRENCY, ROUNDS, WARMUP, NEW_USERS, RACE, PHASE_TIMEOUT_MS },
  };

  const db = await startDatabase({ quiet: true });
  results.database = db.kind;
  const mongoose = new Mongoose();
  let stopped = false;
  const cleanup = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await mongoose.connection.dropDatabase();
    } catch {
      /* best effort */
    }
    try {
      await mongoose.disconnect();
    } catch {
      /* best effort */
    }
    await db.stop();
  };

  const overall = setTimeout(() => {
    process.stderr.write(`bench: overall time limit (${OVERALL_TIMEOUT_MS} ms) reached; stopping\n`);
    cleanup().finally(() => process.exit(1));
  }, OVERALL_TIMEOUT_MS);
  overall.unref();

  try {
    const dbName = `sgsso_bench_${process.pid}_${Date.now().toString(36)}`;
    // monitorCommands: section 7 counts the database commands of a first visit on each side.
    await mongoose.connect(withDbName(db.uri, dbName), { autoIndex: false, serverSelectionTimeoutMS: 10_000, monitorCommands: true });

    const config = dist.loadConfig(
      {
        providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE }],
        session: {
          chatOrigin: 'http://chat.shinegold.test',
          loginUrl: 'http://shinegold.test/login',
          logoutUrl: 'http://shinegold.test/logout',
        },
      },
      { env: { SHINEGOLD_JWT_SECRET: SHINEGOLD_SECRET } },
    );
    const log = (l) => process.stderr.write(`${l}\n`);
    const credits = () =>
      require('./bench/credits').run({
        dist, dataSchemas, uri: withDbName(db.uri, `${dbName}_credits`), issuer: ISSUER, audience: AUDIENCE, secret: SHINEGOLD_SECRET, rounds: CREDITS_ROUNDS, log,
      });
    if (ONLY === 'credits') {
      results.credits = await credits();
      require('./bench/credits').print(results.credits, '-'.repeat(78));
      return;
    }
    const sso = dist.createShinegoldSSO({ config, mongoose, dataSchemas, audit: () => {} });
    const { authenticator, store } = sso;
    await store.ensureIndexes();
    // LibreChat's own indexes, as a LibreChat server builds them at start (autoIndex): both sides
    // of every comparison pay for them.
    await lib.libreChatIndexes(mongoose);
    const getUserById = store.methods.getUserById;
    const keys = { issuer: ISSUER, audience: AUDIENCE, secret: SHINEGOLD_SECRET };
    const storm = require('./bench/storm');
    const firstVisits = async () => {
      results.storm = await storm.storm({ authenticator, store, keys, people: STORM_PEOPLE, concurrency: CONCURRENCY, timeoutMs: PHASE_TIMEOUT_MS, log });
      results.replicas = await storm.replicas({ uri: withDbName(db.uri, dbName), store, keys, people: REPLICA_PEOPLE, concurrency: CONCURRENCY, log });
    };
    if (ONLY === 'storm') {
      await firstVisits();
      storm.print(results, '-'.repeat(78));
      return;
    }

    // --- 1. known-user authentication ------------------------------------------------------
    const knownSub = 'bench-known-1';
    const knownCookie = { cookieHeader: `sg_session=${shinegoldToken(knownSub)}` };
    const first = await authenticator.authenticate(knownCookie);
    if (!first.created) throw new Error('expected the known user to be created on first authentication');
    const knownId = String(first.user._id);
    // LibreChat's own session token (api/models/userMethods generateToken: { id, username, provider, email }).
    const nativeToken = jwt.sign(
      { id: knownId, username: first.user.username, provider: first.user.provider, email: first.user.email },
      LIBRECHAT_JWT_SECRET,
      { algorithm: 'HS256', expiresIn: 3600 },
    );

    const ours = async () => {
      const r = await authenticator.authenticate(knownCookie);
      if (r.created || String(r.user._id) !== knownId) throw new Error('ours: wrong user');
    };
    // passport-jwt: jwtFromRequest + jsonwebtoken.verify, then LibreChat's jwtStrategy verify callback.
    const native = async () => {
      const payload = jwt.verify(nativeToken, LIBRECHAT_JWT_SECRET, { algorithms: ['HS256'] });
      const user = await getUserById(payload.id, NATIVE_FIELDS);
      if (!user || String(user._id) !== knownId) throw new Error('native: wrong user');
      user.id = user._id.toString();
    };

    process.stderr.write(`bench: database ${db.kind}; warm-up (${WARMUP} each)...\n`);
    results.warmup = {
      ours: await runFixed(WARMUP, CONCURRENCY, ours),
      native: await runFixed(WARMUP, CONCURRENCY, native),
    };

    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      // alternate the order (ABBA...) so neither side always runs first
      const order = r % 2 === 0 ? ['ours', 'native'] : ['native', 'ours'];
      const row = { round: r + 1, order: order.join(',') };
      for (const side of order) {
        process.stderr.write(`bench: round ${r + 1}/${ROUNDS} ${side}...\n`);
        row[side] = await runFixed(REQUESTS, CONCURRENCY, side === 'ours' ? ours : native);
      }
      rounds.push(row);
    }
    const oursMed = median(rounds.map((x) => x.ours.perSec));
    const nativeMed = median(rounds.map((x) => x.native.perSec));
    results.knownUser = {
      description: `${REQUESTS} requests x ${ROUNDS} rounds at concurrency ${CONCURRENCY}, interleaved, after ${WARMUP} warm-up each`,
      rounds,
      medianPerSec: { ours: oursMed, native: nativeMed },
      ratioOursOverNative: round(oursMed / nativeMed, 3),
      goal: '>= 0.95',
    };

    // --- 2. first-visit provisioning --------------------------------------------------------
    process.stderr.write(`bench: provisioning ${NEW_USERS} new users...\n`);
    const runTag = Date.now().toString(36);
    const newCookies = Array.from({ length: NEW_USERS }, (_, i) => ({
      cookieHeader: `sg_session=${shinegoldToken(`bench-new-${runTag}-${i}`)}`,
    }));
    let createdCount = 0;
    const prov = await runFixed(NEW_USERS, CONCURRENCY, async (i) => {
      const r = await authenticator.authenticate(newCookies[i]);
      if (r.created) createdCount++;
    });
    results.provisioning = { ...prov, created: createdCount, usersPerSec: prov.perSec };

    // --- 3. 50 parallel first requests for one new person ---------------------------------
    process.stderr.write(`bench: ${RACE} parallel first requests for one new person...\n`);
    const raceSub = `bench-race-${runTag}`;
    const raceCookie = { cookieHeader: `sg_session=${shinegoldToken(raceSub)}` };
    const raceStart = hr();
    const settled = await Promise.allSettled(
      Array.from({ length: RACE }, async () => {
        const r = await authenticator.authenticate(raceCookie);
        return { ms: ms(raceStart, hr()), created: r.created, userId: String(r.user._id) };
      }),
    );
    const raceWall = ms(raceStart, hr());
    const fulfilled = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
    const rejected = settled.filter((s) => s.status === 'rejected').map((s) => s.reason);
    const lats = fulfilled.map((v) => v.ms);
    const userCount = await store.User.countDocuments({ shinegoldUserId: raceSub });
    const mappingCount = await store.Identity.countDocuments({ externalId: raceSub });
    results.race = {
      parallel: RACE,
      succeeded: fulfilled.length,
      failed: rejected.length,
      failures: [...new Set(rejected.map((e) => `${e && e.code ? e.code + ': ' : ''}${e && e.message ? e.message : e}`))].slice(0, 5),
      createdTrueCount: fulfilled.filter((v) => v.created).length,
      distinctUserIds: new Set(fulfilled.map((v) => v.userId)).size,
      wallMs: round(raceWall),
      latencyMs: { p50: round(percentile(lats, 50)), p99: round(percentile(lats, 99)), max: round(lats.length ? Math.max(...lats) : NaN) },
      users: userCount,
      mappings: mappingCount,
      exactlyOne: userCount === 1 && mappingCount === 1,
    };

    // --- 7, 8. first visits against LibreChat's own first login; two processes ---------------
    await firstVisits();

    // --- 4. the session bridge against LibreChat's own refresh ------------------------------
    const sandbox = require('../packages/sandbox/dist');
    results.bridge = await require('./bench/bridge').run({
      dist, sandbox, mongoose, dataSchemas, issuer: ISSUER, audience: AUDIENCE, secret: SHINEGOLD_SECRET,
      requests: BRIDGE_REQUESTS, concurrency: BRIDGE_CONCURRENCY, rounds: 2, log,
    });

    // --- 5. memory under many distinct tokens ---------------------------------------------
    results.memory = await require('./bench/memory').run({
      dist, store, issuer: ISSUER, audience: AUDIENCE, secret: SHINEGOLD_SECRET, tokens: MEMORY_TOKENS, replays: MEMORY_REPLAYS, log,
    });

    // --- 6. writes of a login that sets credits -------------------------------------------
    results.credits = await credits();

    results.finishedAt = new Date().toISOString();
    print(results);
    fs.writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + '\n');
    console.log(`\nJSON results: ${RESULTS_FILE}`);
  } finally {
    clearTimeout(overall);
    await cleanup();
  }
}

function print(r) {
  const k = r.knownUser;
  const line = '-'.repeat(78);
  console.log(`\nshinegold SSO benchmark  (${r.database}, node ${r.node}, ${r.platform})`);
  console.log(line);
  console.log(`1. Known-user authentication: ${k.description}`);
  console.log(`   ${pad('round', 7)}${pad('order', 14)}${lpad('ours req/s', 12)}${lpad('native req/s', 14)}${lpad('ratio', 8)}${lpad('ours p99 ms', 13)}${lpad('nat p99 ms', 12)}`);
  for (const x of k.rounds) {
    console.log(
      `   ${pad(x.round, 7)}${pad(x.order, 14)}${lpad(x.ours.perSec, 12)}${lpad(x.native.perSec, 14)}${lpad(round(x.ours.perSec / x.native.perSec, 3), 8)}` +
        `${lpad(x.ours.latencyMs.p99, 13)}${lpad(x.native.latencyMs.p99, 12)}`,
    );
    for (const side of ['ours', 'native']) {
      if (x[side].errors || x[side].timedOut) console.log(`     ! ${side}: ${x[side].errors} errors${x[side].timedOut ? ', timed out' : ''} ${x[side].firstError || ''}`);
    }
  }
  console.log(`   ${pad('median', 21)}${lpad(k.medianPerSec.ours, 12)}${lpad(k.medianPerSec.native, 14)}${lpad(k.ratioOursOverNative, 8)}`);
  console.log(`   ratio ours/native (median req/s): ${k.ratioOursOverNative}  (goal ${k.goal})`);
  console.log(line);
  const p = r.provisioning;
  console.log(`2. First-visit provisioning: ${p.requested} new users at concurrency ${r.settings.CONCURRENCY}`);
  console.log(
    `   ${p.usersPerSec} users/s  (${p.completed} ok, ${p.created} created, ${p.errors} errors${p.timedOut ? ', timed out' : ''}, ` +
      `${p.elapsedMs} ms; latency p50 ${p.latencyMs.p50} / p99 ${p.latencyMs.p99} / max ${p.latencyMs.max} ms)`,
  );
  if (p.firstError) console.log(`   first error: ${p.firstError}`);
  console.log(line);
  const c = r.race;
  console.log(`3. ${c.parallel} parallel first requests for one new person`);
  console.log(`   latency ms: p50 ${c.latencyMs.p50}, p99 ${c.latencyMs.p99}, max ${c.latencyMs.max} (wall ${c.wallMs})`);
  console.log(`   ${c.succeeded} succeeded, ${c.failed} failed; created=true in ${c.createdTrueCount}; distinct user ids returned: ${c.distinctUserIds}`);
  if (c.failures.length) console.log(`   failures: ${c.failures.join(' | ')}`);
  console.log(`   afterwards: users=${c.users}, mappings=${c.mappings}  -> exactly one of each: ${c.exactlyOne ? 'yes' : 'NO'}`);
  console.log(line);
  require('./bench/bridge').print(r.bridge, line);
  require('./bench/memory').print(r.memory, line);
  require('./bench/credits').print(r.credits, line);
  require('./bench/storm').print(r, line);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench: crashed: ${(e && e.stack) || e}\n`);
    process.exit(1);
  },
);
