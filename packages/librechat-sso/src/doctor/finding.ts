/**
 * A doctor finding: one check, its status and, when it is not ok, a sentence saying how to fix
 * it. `check` is a stable dotted id (scripts and tests match on it; the message may change).
 * Findings never carry a token or a secret: secrets are described by length only.
 */
export type FindingStatus = 'ok' | 'warn' | 'fail';

export interface Finding {
  check: string;
  status: FindingStatus;
  message: string;
  /** What to do about it; present whenever status is not ok. */
  fix?: string;
}

export const ok = (check: string, message: string): Finding => ({ check, status: 'ok', message });
export const warn = (check: string, message: string, fix: string): Finding => ({ check, status: 'warn', message, fix });
export const fail = (check: string, message: string, fix: string): Finding => ({ check, status: 'fail', message, fix });

export interface Summary {
  ok: number;
  warn: number;
  fail: number;
  /** True when nothing failed: the exit code is 0. */
  passed: boolean;
}

export function summarize(findings: readonly Finding[]): Summary {
  const n = (s: FindingStatus) => findings.filter((f) => f.status === s).length;
  return { ok: n('ok'), warn: n('warn'), fail: n('fail'), passed: n('fail') === 0 };
}

/** Hosts a browser treats as local development (no TLS expected). */
export function isLocalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '127.0.0.1' || h === '::1' || h.endsWith('.localhost');
}

/** The useful part of a network error: fetch hides ECONNREFUSED and friends in `cause`. */
export function errorReason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}
