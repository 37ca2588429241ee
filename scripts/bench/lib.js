'use strict';
/** Shared by the benchmark sections: a bounded load runner and small statistics. */
const nowSec = () => Math.floor(Date.now() / 1000);
const hr = () => process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;

function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

/**
 * Runs `count` calls of fn(i) with `concurrency` workers; stops issuing new calls after
 * `timeoutMs`. Returns completed/errors counts, elapsed ms, req/s and per-call latencies.
 */
async function runFixed(count, concurrency, fn, timeoutMs = 60_000) {
  let next = 0;
  let ok = 0;
  let errors = 0;
  let firstError;
  const lat = [];
  const deadline = Date.now() + timeoutMs;
  let timedOut = false;
  const start = hr();
  async function worker() {
    for (;;) {
      if (Date.now() > deadline) {
        timedOut = true;
        return;
      }
      const i = next++;
      if (i >= count) return;
      const t0 = hr();
      try {
        await fn(i);
        ok++;
      } catch (e) {
        errors++;
        if (!firstError) firstError = e;
      }
      lat.push(ms(t0, hr()));
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const elapsedMs = ms(start, hr());
  return {
    requested: count,
    completed: ok,
    errors,
    firstError: firstError ? String(firstError.code || '') + ' ' + (firstError.message || firstError) : undefined,
    timedOut,
    elapsedMs: round(elapsedMs),
    perSec: round((ok / elapsedMs) * 1000),
    latencyMs: { p50: round(percentile(lat, 50)), p99: round(percentile(lat, 99)), max: round(Math.max(...lat)) },
  };
}

const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);


/** A positive whole number from the environment (a benchmark knob), else the default. */
const num = (name, dflt) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
};

/** Builds the indexes of LibreChat's models (User, Session, ...) that the server supports. */
async function libreChatIndexes(mongoose) {
  for (const name of ['User', 'Session', 'Balance', 'Transaction']) {
    const model = mongoose.models[name];
    if (!model) continue;
    for (const [keys, options] of model.schema.indexes()) {
      await model.collection.createIndex(keys, { ...options, background: undefined }).catch(() => undefined);
    }
  }
}

module.exports = { libreChatIndexes, nowSec, hr, ms, median, percentile, runFixed, round, pad, lpad, num };
