import type { AuditSink } from '../audit';
import { errorFields } from '../audit';
import type { ShinegoldConfig } from '../config/schema';
import type { Credits } from '../credits';
import { isRefusal, SsoRefusal } from '../errors';
import type { Provisioner } from '../identity/provision';
import type { Store } from '../store/models';
import type { Clock, Verifier } from '../token/verify';
import { createLifecycleApplier, LifecycleOutcome, lifecycleIdentity } from './apply';
import { firstUse, release } from '../store/replay';
import { LIFECYCLE_EVENTS, LifecycleCall, validateLifecycleClaims } from './verify';

/**
 * One lifecycle call from start to answer, free of Express: signature (the provider's keys,
 * header rules as for a login token), claims, payload, replay, then the effect.
 * Nothing is written before every check has passed; a dry run writes nothing at all (not even
 * its jti: replaying a dry run can change nothing).
 *
 * Answers: 200 applied (or unchanged, or dry run); 400 a bad, unsigned, expired or replayed
 * call; 409 a valid call that cannot be applied (linking policy, email already linked to
 * another shinegold user); 503 a dependency failed (the jti is given back so a retry works).
 */
export type LifecycleMetricOutcome = 'changed' | 'unchanged' | 'dry_run' | 'refused' | 'conflict' | 'error';

export interface LifecycleAnswer {
  status: 200 | 400 | 409 | 503;
  body: Record<string, unknown>;
  /** Bounded label values for the metric. */
  metric: { event: string; outcome: LifecycleMetricOutcome };
}

export function createLifecycle(deps: {
  config: ShinegoldConfig;
  verifier: Verifier;
  store: Store;
  provisioner: Provisioner;
  audit: AuditSink;
  clock: Clock;
  credits?: Credits;
}) {
  const { config, verifier, store, audit, clock } = deps;
  const applier = createLifecycleApplier({ config, store, provisioner: deps.provisioner, clock, credits: deps.credits });

  async function handle(token: unknown): Promise<LifecycleAnswer> {
    let call: LifecycleCall | undefined;
    let provider: string | undefined;
    let replayKey: string | undefined;
    try {
      if (typeof token !== 'string' || token === '') throw new SsoRefusal('SG_SYNC_UNAUTHORIZED', { reason: 'no lifecycle_token' });
      const verified = await verifier.verifySignature(token);
      provider = verified.provider.name;
      const nowSec = clock();
      call = validateLifecycleClaims(verified.payload, verified.provider, nowSec);
      // The profile is judged before anything is recorded: a bad email is a bad call.
      if (call.event === 'user.updated') lifecycleIdentity(call, verified.provider, config);
      if (!call.dryRun) {
        replayKey = `lc:${call.iss}:${call.jti}`;
        if (!(await firstUse(store, replayKey, 'lifecycle', new Date(call.expiresAt * 1000), new Date(nowSec * 1000)))) {
          replayKey = undefined;
          throw new SsoRefusal('SG_TOKEN_REPLAYED', { provider });
        }
      }
      const outcome: LifecycleOutcome = await applier.apply(call, verified.provider);
      if (outcome.role && !call.dryRun) {
        audit({ event: 'role.changed', outcome: 'success', provider, externalId: call.sub, userId: outcome.userId, detail: { ...outcome.role, by: 'lifecycle' } });
      }
      if (outcome.credits?.changed && !call.dryRun) {
        const c = outcome.credits;
        audit({ event: 'credits.applied', outcome: 'success', provider, externalId: call.sub, userId: outcome.userId, detail: { by: call.event, kind: c.kind, delta: c.delta, balance: c.balance, key: c.key } });
      }
      audit({
        event: 'lifecycle.applied',
        outcome: 'success',
        provider,
        externalId: call.sub,
        userId: outcome.userId,
        detail: {
          event: call.event,
          result: outcome.result,
          changed: outcome.changed,
          dryRun: call.dryRun || undefined,
          fields: outcome.fields?.length ? outcome.fields : undefined,
          sessions: outcome.sessions || undefined,
          data: outcome.data && Object.keys(outcome.data).length ? outcome.data : undefined,
          policy: call.event === 'user.deleted' ? config.lifecycle.onDelete : undefined,
        },
      });
      return {
        status: 200,
        body: {
          ok: true,
          event: call.event,
          result: outcome.result,
          changed: outcome.changed,
          ...(call.dryRun ? { dryRun: true } : {}),
          ...(outcome.fields?.length ? { fields: outcome.fields } : {}),
          ...(outcome.sessions !== undefined ? { sessions: outcome.sessions } : {}),
          ...(outcome.data ? { data: outcome.data } : {}),
          ...(outcome.credits ? { credits: { result: outcome.credits.result, changed: outcome.credits.changed, balance: outcome.credits.balance, delta: outcome.credits.delta, ...(outcome.credits.note ? { note: outcome.credits.note } : {}) } } : {}),
          ...(outcome.note ? { note: outcome.note } : {}),
        },
        metric: { event: call.event, outcome: call.dryRun ? 'dry_run' : outcome.changed ? 'changed' : 'unchanged' },
      };
    } catch (e) {
      const fields = errorFields(e);
      const refused = isRefusal(e);
      // Refused after the checks passed: the call was good but cannot be applied.
      const conflict = refused && call !== undefined && e.code !== 'SG_TOKEN_REPLAYED' && e.code !== 'SG_LIFECYCLE_TOKEN_INVALID' && e.code !== 'SG_TOKEN_CLAIM_INVALID';
      if (!refused && replayKey) await release(store, replayKey);
      audit({
        event: 'lifecycle.refused',
        outcome: refused ? 'failure' : 'error',
        provider: provider ?? (typeof fields.detail?.provider === 'string' ? fields.detail.provider : undefined),
        externalId: call?.sub,
        ...fields,
        detail: { ...fields.detail, event: call?.event },
      });
      const event = call?.event && (LIFECYCLE_EVENTS as readonly string[]).includes(call.event) ? call.event : 'unknown';
      if (!refused) {
        return { status: 503, body: { ok: false, error: 'temporarily_unavailable', code: fields.code }, metric: { event, outcome: 'error' } };
      }
      if (conflict) {
        return { status: 409, body: { ok: false, error: 'conflict', event: call!.event, code: e.code }, metric: { event, outcome: 'conflict' } };
      }
      return { status: 400, body: { ok: false, error: 'invalid_request', code: e.code }, metric: { event, outcome: 'refused' } };
    }
  }

  return { handle };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
