import type { AuditSink } from '../audit';
import { errorFields } from '../audit';
import type { ProviderConfig } from '../config/schema';
import { isRefusal, SsoRefusal } from '../errors';
import { accountOf } from '../identity/account';
import { firstUse, release } from '../store/replay';
import type { Store } from '../store/models';
import { validateEnvelope } from '../token/envelope';
import { normalizeSubject } from '../token/subject';
import type { Clock, Verifier } from '../token/verify';
import { csvHeader, csvLine, jsonLine, usageRows } from './usage';

/**
 * The main site asks for spend: it POSTs a signed `usage_token` (the same keys, issuer and
 * audience as its login and lifecycle tokens) with
 *   iss, aud, iat, exp, jti   as for a lifecycle call (recent iat, exp required, a jti accepted
 *                             once: the replay store every replica shares);
 *   event                     `usage.read` (so it can never pass as a login or a lifecycle call);
 *   sub                       one person's main-site id, or absent with `usage.all: true`;
 *   usage                     `{ since, until?, all?, format? }`: seconds since the epoch, the
 *                             period [since, until) (until: now), at most 366 days;
 *                             format `ndjson` (default) or `csv`.
 * Free of Express: `handle` answers a status and, on 200, the lines to stream.
 */
export const MAX_PERIOD_SEC = 366 * 86400;
export type UsageFormat = 'ndjson' | 'csv';

export interface UsageCall {
  iss: string;
  jti: string;
  sub?: string;
  since: number;
  until: number;
  format: UsageFormat;
  expiresAt: number;
}

/** Pure: the usage token's claims, or SsoRefusal('SG_USAGE_TOKEN_INVALID'). */
export function validateUsageClaims(payload: unknown, provider: ProviderConfig, nowSec: number, maxAgeSec = 300): UsageCall {
  const bad = (reason: string) => new SsoRefusal('SG_USAGE_TOKEN_INVALID', { reason, provider: provider.name });
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw bad('payload is not an object');
  const p = payload as Record<string, unknown>;
  const envelope = validateEnvelope(p, provider, nowSec, { maxAgeSec, expRequired: true, bad });
  if (p.event !== 'usage.read') throw bad('event is not usage.read');
  const u = p.usage;
  if (typeof u !== 'object' || u === null || Array.isArray(u)) throw bad('usage missing');
  const q = u as Record<string, unknown>;
  let sub: string | undefined;
  if (p.sub !== undefined) {
    const s = normalizeSubject(p.sub);
    if (!s.ok) throw bad(`sub ${s.reason}`);
    sub = s.subject;
    if (q.all !== undefined) throw bad('give sub or usage.all, not both');
  } else if (q.all !== true) throw bad('no sub: ask for one person, or for everyone with usage.all: true');
  const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!isTime(q.since)) throw bad('usage.since must be seconds since the epoch');
  if (q.until !== undefined && !isTime(q.until)) throw bad('usage.until must be seconds since the epoch');
  // Default: to the end of the current second (createdAt has milliseconds; iat does not).
  const until = (q.until as number | undefined) ?? Math.floor(nowSec) + 1;
  if (until <= q.since) throw bad('usage.until is not after usage.since');
  if (until - q.since > MAX_PERIOD_SEC) throw bad('the period is longer than 366 days; ask per year');
  if (q.format !== undefined && q.format !== 'ndjson' && q.format !== 'csv') throw bad('usage.format must be ndjson or csv');
  return { iss: p.iss as string, jti: envelope.jti, ...(sub ? { sub } : {}), since: q.since, until, format: (q.format as UsageFormat) ?? 'ndjson', expiresAt: envelope.exp! + provider.clockToleranceSec };
}

export type UsageAnswer =
  | { status: 200; contentType: string; lines: AsyncIterable<string> }
  | { status: 400 | 503; body: Record<string, unknown> };

export const CONTENT_TYPES: Record<UsageFormat, string> = { ndjson: 'application/x-ndjson; charset=utf-8', csv: 'text/csv; charset=utf-8' };

export function createUsage(deps: { verifier: Verifier; store: Store; audit: AuditSink; clock: Clock }) {
  const { verifier, store, audit, clock } = deps;

  async function handle(token: unknown): Promise<UsageAnswer> {
    let provider: string | undefined;
    let call: UsageCall | undefined;
    let replayKey: string | undefined;
    try {
      if (typeof token !== 'string' || token === '') throw new SsoRefusal('SG_USAGE_TOKEN_INVALID', { reason: 'no usage_token' });
      const verified = await verifier.verifySignature(token);
      provider = verified.provider.name;
      const nowSec = clock();
      call = validateUsageClaims(verified.payload, verified.provider, nowSec);
      replayKey = `usage:${call.iss}:${call.jti}`;
      if (!(await firstUse(store, replayKey, 'usage', new Date(call.expiresAt * 1000), new Date(nowSec * 1000)))) {
        replayKey = undefined;
        throw new SsoRefusal('SG_TOKEN_REPLAYED', { provider });
      }
      let userId: string | undefined;
      const primary = verified.provider.primary;
      if (call.sub) {
        // The person's account as a login would find it (read only: nothing is linked here).
        const { user } = await accountOf(store, { provider, externalId: call.sub, primary }, { link: false });
        // Nobody chat knows: no rows (the answer does not say whether the person exists).
        if (!user) return { status: 200, contentType: CONTENT_TYPES[call.format], lines: lines(call, provider, primary, null) };
        userId = String(user._id);
      }
      return { status: 200, contentType: CONTENT_TYPES[call.format], lines: lines(call, provider, primary, userId) };
    } catch (e) {
      const fields = errorFields(e);
      // A dependency failed before any row: the same signed request may be sent again.
      if (!isRefusal(e) && replayKey) await release(store, replayKey);
      audit({ event: 'usage.read', outcome: isRefusal(e) ? 'failure' : 'error', provider, externalId: call?.sub, ...fields });
      if (isRefusal(e)) return { status: 400, body: { ok: false, error: 'invalid_request', code: e.code } };
      return { status: 503, body: { ok: false, error: 'temporarily_unavailable', code: fields.code } };
    }
  }

  /** The answer's lines; NDJSON ends with `{"end":true,"rows":N}` so a cut stream is seen as one. */
  async function* lines(call: UsageCall, provider: string, primary: boolean, userId: string | null | undefined): AsyncGenerator<string> {
    let rows = 0;
    const detail = { since: call.since, until: call.until, all: !call.sub || undefined, format: call.format };
    try {
      if (call.format === 'csv') yield csvHeader();
      if (userId !== null) {
        for await (const r of usageRows(store, { since: new Date(call.since * 1000), until: new Date(call.until * 1000), provider, primary, ...(userId ? { userId } : {}) })) {
          rows++;
          yield call.format === 'csv' ? csvLine(r) : jsonLine(r);
        }
      }
      if (call.format === 'ndjson') yield `${JSON.stringify({ end: true, rows })}\n`;
      audit({ event: 'usage.read', outcome: 'success', provider, externalId: call.sub, userId: userId ?? undefined, detail: { ...detail, rows } });
    } catch (e) {
      audit({ event: 'usage.read', outcome: 'error', provider, externalId: call.sub, ...errorFields(e), detail: { ...detail, rows, cut: true } });
      if (call.format === 'ndjson') yield `${JSON.stringify({ error: 'temporarily_unavailable', code: 'SG_DB_UNAVAILABLE', rows })}\n`;
      else throw e;
    }
  }

  return { handle };
}

export type Usage = ReturnType<typeof createUsage>;
