import { ShinegoldConfig } from '../config/schema';
import { isRefusal } from '../errors';
import { Identity, mapIdentity } from '../identity/map';
import { Provisioner } from '../identity/provision';
import { planSync } from '../identity/sync';
import { identityKey, Store } from '../store/models';
import { Row } from './rows';

/**
 * Bulk import of main-site users into LibreChat, through the same provisioning as a login (so
 * the linking policy, takeover refusal and race safety are the same). Each row is judged alone:
 * a bad row is reported and the run goes on. Re-running changes nothing (`unchanged`).
 * `dryRun` reads only and says what would happen.
 */
export type ImportStatus = 'created' | 'updated' | 'unchanged' | 'linked' | 'conflict' | 'invalid' | 'error';

export interface ImportResult {
  line: number;
  externalId?: string;
  status: ImportStatus;
  reason?: string;
  changed?: string[];
}

/** Refusals that mean the row is valid but meets an account it may not take (reported as `conflict`). */
export const CONFLICT_CODES: ReadonlySet<string> = new Set(['SG_ACCOUNT_LINKED_ELSEWHERE', 'SG_LINK_REFUSED', 'SG_USER_BANNED', 'SG_USER_DISABLED']);

/** Row -> identity, as if its fields were the claims of a login token (`id` or the subject claim). */
export function rowIdentity(row: Record<string, unknown>, config: ShinegoldConfig): Identity {
  const provider = config.providers[0];
  const rawId = row[provider.subjectClaim] ?? row.id;
  const subject = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
  if (typeof subject !== 'string' || subject.trim() === '') throw new Error(`no user id (column ${provider.subjectClaim} or id)`);
  const identity = mapIdentity({ subject, iss: provider.issuer, exp: 0, raw: row }, provider.name, config);
  if (!identity.email) throw new Error('no email');
  return identity;
}

export async function importRow(
  row: Row,
  deps: { config: ShinegoldConfig; store: Store; provisioner: Provisioner; dryRun: boolean },
): Promise<ImportResult> {
  if (row.error || !row.data) return { line: row.line, status: 'invalid', reason: `line ${row.line} ${row.error}` };
  let identity: Identity;
  try {
    identity = rowIdentity(row.data, deps.config);
  } catch (e) {
    const msg = isRefusal(e) ? `${e.code}: ${e.message}` : (e as Error).message;
    return { line: row.line, status: 'invalid', reason: msg };
  }
  const base = { line: row.line, externalId: identity.externalId };
  try {
    if (deps.dryRun) return { ...base, ...(await dryRun(identity, deps.store, deps.config)) };
    const r = await deps.provisioner.provision(identity);
    if (r.created) return { ...base, status: 'created' };
    if (r.linked) return { ...base, status: 'linked' };
    return r.sync.changed.length ? { ...base, status: 'updated', changed: r.sync.changed } : { ...base, status: 'unchanged' };
  } catch (e) {
    if (isRefusal(e)) return { ...base, status: CONFLICT_CODES.has(e.code) ? 'conflict' : 'invalid', reason: `${e.code}: ${e.message}` };
    return { ...base, status: 'error', reason: (e as Error).message };
  }
}

/** What a run would do for this identity, reading only. */
async function dryRun(identity: Identity, store: Store, config: ShinegoldConfig): Promise<Omit<ImportResult, 'line'>> {
  const mapping = await store.Identity.findById(identityKey(identity.provider, identity.externalId)).lean();
  if (mapping?.userId) {
    const user = await store.methods.getUserById(String(mapping.userId), '-password');
    if (user) {
      const plan = planSync(user, mapping.extensions, identity, config, { emailTakenByOther: false });
      return plan.changed.length ? { status: 'updated', changed: plan.changed, reason: 'dry run' } : { status: 'unchanged', reason: 'dry run' };
    }
  }
  const byEmail = await store.methods.findUser({ email: identity.email }, 'shinegoldUserId provider');
  if (!byEmail) return { status: 'created', reason: 'dry run' };
  if (byEmail.shinegoldUserId && byEmail.shinegoldUserId !== identity.externalId) return { status: 'conflict', reason: 'SG_ACCOUNT_LINKED_ELSEWHERE (dry run)' };
  return { status: 'linked', reason: 'dry run: subject to the linking policy' };
}

export interface ImportSummary {
  counts: Record<ImportStatus, number>;
  rows: number;
  seconds: number;
}

/** Runs rows through `importRow` with bounded concurrency, reporting each result in order of completion. */
export async function runImport(
  rows: AsyncIterable<Row>,
  deps: { config: ShinegoldConfig; store: Store; provisioner: Provisioner; dryRun?: boolean; concurrency?: number; skipLines?: Set<number> },
  onResult: (r: ImportResult) => void | Promise<void>,
): Promise<ImportSummary> {
  const started = Date.now();
  const counts: Record<ImportStatus, number> = { created: 0, updated: 0, unchanged: 0, linked: 0, conflict: 0, invalid: 0, error: 0 };
  const limit = deps.concurrency ?? 8;
  const running = new Set<Promise<void>>();
  let n = 0;
  for await (const row of rows) {
    if (deps.skipLines?.has(row.line)) continue;
    n++;
    const p: Promise<void> = importRow(row, { ...deps, dryRun: !!deps.dryRun }).then(async (r) => {
      counts[r.status]++;
      await onResult(r);
    });
    const tracked = p.finally(() => running.delete(tracked));
    running.add(tracked);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  return { counts, rows: n, seconds: (Date.now() - started) / 1000 };
}
