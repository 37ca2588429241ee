import { ShinegoldConfig } from '../config/schema';
import { isRefusal } from '../errors';
import { Identity, mapIdentity } from '../identity/map';
import type { Provisioner, ProvisionPlan } from '../identity/provision';
import type { Store } from '../store/models';
import { normalizeSubject } from '../token/subject';
import { Row } from './rows';

/**
 * Bulk import of main-site users into LibreChat, through the same provisioning as a login (so
 * the linking policy, takeover refusal and race safety are the same). Each row is judged alone:
 * a bad row is reported and the run goes on. Re-running changes nothing (`unchanged`).
 * `dryRun` reads only and says what would happen.
 */
export const IMPORT_STATUSES = ['created', 'updated', 'unchanged', 'linked', 'conflict', 'invalid', 'error'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export interface ImportResult {
  line: number;
  externalId?: string;
  status: ImportStatus;
  reason?: string;
  changed?: string[];
}

/** Refusals that mean the row is valid but meets an account it may not take (reported as `conflict`). */
export const CONFLICT_CODES: ReadonlySet<string> = new Set(['SG_ACCOUNT_LINKED_ELSEWHERE', 'SG_LINK_REFUSED', 'SG_USER_BANNED', 'SG_USER_DISABLED']);

/**
 * Row -> identity, as if its fields were the claims of a login token (`id` or the subject claim),
 * for the primary provider, at the import's time (`asOf`: the ordering rule treats an import as
 * a main-site event). Entry rules (`roles.required`) are a login's business, not an import's.
 */
export function rowIdentity(row: Record<string, unknown>, config: ShinegoldConfig, asOf?: number): Identity {
  const provider = importProvider(config);
  const id = rowSubject(row, config);
  if (!id.ok) throw new Error(`no usable user id (column ${provider.subjectClaim} or id): ${id.reason}`);
  const identity = mapIdentity({ subject: id.subject, iss: provider.issuer, exp: 0, iat: asOf, raw: row }, provider, config, { gateRequiredRole: false });
  if (!identity.email) throw new Error('no email');
  return identity;
}

/** The provider an import's rows belong to: the primary one. */
const importProvider = (config: ShinegoldConfig) => config.providers.find((p) => p.primary) ?? config.providers[0];

/** A row's main-site user id, read as a login token's subject is (`token/subject.ts`). */
export const rowSubject = (row: Record<string, unknown>, config: ShinegoldConfig) => normalizeSubject(row[importProvider(config).subjectClaim] ?? row.id);

/**
 * One id, one row: a row whose id an earlier row of the same run already had is invalid,
 * naming that row's line ("id sg-1 already on line 3"), in a dry run as in a real run and
 * whichever path (batched or per row) would take it. Otherwise the later row would silently
 * overwrite the earlier one (demoting an admin the line before made one), and a dry run would
 * plan two creations. Rows `--resume` skips still count: they were read in the run before.
 * Holds each id once (about 100 bytes an id: 10 MB for 100,000 rows).
 */
export function repeatedIds(config: ShinegoldConfig): (row: Row) => Row {
  const firstLine = new Map<string, number>();
  return (row) => {
    if (row.error || !row.data) return row;
    const id = rowSubject(row.data, config);
    if (!id.ok) return row;
    const first = firstLine.get(id.subject);
    if (first === undefined) {
      firstLine.set(id.subject, row.line);
      return row;
    }
    return { line: row.line, error: `has id ${id.subject}, already on line ${first}` };
  };
}

/**
 * The columns a row may have: the top-level names of the claims the shinegold section reads for
 * the import's provider (the subject claim or `id`, email, email verified, profile, roles,
 * extensions, third-party ids, points). Anything else is not used.
 */
export function knownColumns(config: ShinegoldConfig): Set<string> {
  const p = importProvider(config);
  const top = (path: string) => path.split('.')[0];
  const c = config.claims;
  const names = ['id', p.subjectClaim, c.email, c.emailVerified, c.name, c.username, c.avatar, p.roles.claim];
  for (const spec of Object.values(config.extensions)) names.push(spec.claim);
  for (const claim of Object.values(config.thirdPartyIds ?? {})) if (typeof claim === 'string') names.push(claim);
  if (config.credits) names.push(config.credits.claim);
  return new Set(names.filter(Boolean).map(top));
}

/**
 * Columns a row has that the import does not use (docs/import.md, Columns). Without `strict`
 * each is said once, on the first row that has it (`warn`); with `strict` such a row is
 * invalid, naming them.
 */
export function unknownColumns(config: ShinegoldConfig, opts: { strict: boolean; warn: (msg: string) => void }): (row: Row) => Row {
  const known = knownColumns(config);
  const said = new Set<string>();
  return (row) => {
    if (row.error || !row.data) return row;
    const unknown = Object.keys(row.data).filter((k) => !known.has(k));
    if (unknown.length === 0) return row;
    if (opts.strict) return { line: row.line, error: `has columns the import does not use: ${unknown.join(', ')} (--strict)` };
    const fresh = unknown.filter((k) => !said.has(k));
    for (const k of fresh) said.add(k);
    if (fresh.length) opts.warn(`line ${row.line}: column${fresh.length > 1 ? 's' : ''} ${fresh.join(', ')} ${fresh.length > 1 ? 'are' : 'is'} not used (not a claim of the shinegold section; docs/import.md, Columns); --strict refuses such rows`);
    return row;
  };
}

/** A row's result, naming the fields that were present but left out (wrong type, unusable). */
export function withLeftOut(result: ImportResult, identity: Identity): ImportResult {
  if (!identity.ignored.length || result.status === 'invalid' || result.status === 'error') return result;
  const note = `left out: ${identity.ignored.join(', ')} (wrong type or unusable)`;
  return { ...result, reason: result.reason ? `${result.reason}; ${note}` : note };
}

export async function importRow(
  row: Row,
  deps: { config: ShinegoldConfig; store: Store; provisioner: Provisioner; dryRun: boolean; asOf?: number },
): Promise<ImportResult> {
  if (row.error || !row.data) return { line: row.line, status: 'invalid', reason: `line ${row.line} ${row.error}` };
  let identity: Identity;
  try {
    identity = rowIdentity(row.data, deps.config, deps.asOf);
  } catch (e) {
    const msg = isRefusal(e) ? `${e.code}: ${e.message}` : (e as Error).message;
    return { line: row.line, status: 'invalid', reason: msg };
  }
  const result = await importIdentity(row, identity, deps);
  return withLeftOut(result, identity);
}

async function importIdentity(
  row: Row,
  identity: Identity,
  deps: { config: ShinegoldConfig; store: Store; provisioner: Provisioner; dryRun: boolean; asOf?: number },
): Promise<ImportResult> {
  const base = { line: row.line, externalId: identity.externalId };
  try {
    if (deps.dryRun) return { ...base, ...planned(await deps.provisioner.plan(identity, 'import')) };
    const r = await deps.provisioner.provision(identity, 'import');
    if (r.created) return { ...base, status: 'created' };
    if (r.linked || r.decision === 'adopt') return { ...base, status: 'linked' };
    if (r.stale) return { ...base, status: 'unchanged', reason: 'the main site sent an update after this export; it is kept' };
    return r.sync.changed.length ? { ...base, status: 'updated', changed: r.sync.changed } : { ...base, status: 'unchanged' };
  } catch (e) {
    if (isRefusal(e)) return { ...base, status: CONFLICT_CODES.has(e.code) ? 'conflict' : 'invalid', reason: `${e.code}: ${(e.detail?.reason as string) ?? e.message}` };
    return { ...base, status: 'error', reason: (e as Error).message };
  }
}

/** A dry run's result: the plan the real run would execute (provision.ts `plan`). */
function planned(plan: ProvisionPlan): Omit<ImportResult, 'line' | 'externalId'> {
  const d = plan.decision;
  switch (d.kind) {
    case 'refuse':
      return { status: CONFLICT_CODES.has(d.code) ? 'conflict' : 'invalid', reason: `${d.code}: ${d.reason} (dry run)` };
    case 'create':
      return { status: 'created', reason: 'dry run' };
    case 'adopt':
    case 'link':
      return { status: 'linked', reason: 'dry run', ...(plan.sync?.changed.length ? { changed: plan.sync.changed } : {}) };
    case 'defer':
      return { status: 'unchanged', reason: 'dry run: another request is creating this account right now' };
    case 'known':
      if (plan.stale) return { status: 'unchanged', reason: 'dry run: the main site sent an update after this export; it is kept' };
      return plan.sync?.changed.length ? { status: 'updated', changed: plan.sync.changed, reason: 'dry run' } : { status: 'unchanged', reason: 'dry run' };
  }
}

export interface ImportSummary {
  counts: Record<ImportStatus, number>;
  rows: number;
  seconds: number;
}

/** Runs rows through `importRow` with bounded concurrency, reporting each result in order of completion. */
export async function runImport(
  rows: AsyncIterable<Row>,
  deps: { config: ShinegoldConfig; store: Store; provisioner: Provisioner; dryRun?: boolean; concurrency?: number; skipLines?: Set<number>; asOf?: number },
  onResult: (r: ImportResult) => void | Promise<void>,
): Promise<ImportSummary> {
  const started = Date.now();
  const counts: Record<ImportStatus, number> = { created: 0, updated: 0, unchanged: 0, linked: 0, conflict: 0, invalid: 0, error: 0 };
  const limit = deps.concurrency ?? 8;
  const running = new Set<Promise<void>>();
  let n = 0;
  const once = repeatedIds(deps.config);
  for await (const read of rows) {
    const row = once(read);
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
