import { SsoUnavailable } from './errors';

/**
 * An answer within a bounded time, whatever a dependency does: when the database (or the key
 * server) does not answer, the caller gets SG_DB_UNAVAILABLE after `ms` (the HTTP adapters turn
 * it into 503 with Retry-After). The work itself is not abandoned: it goes on and finishes, or
 * cleans up after itself, when the dependency is back, so nothing is left half-written.
 */
export const ANSWER_WITHIN_MS = 4_000;

export function withDeadline<T>(work: Promise<T>, ms = ANSWER_WITHIN_MS, what = 'the database'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SsoUnavailable('SG_DB_UNAVAILABLE', undefined, { reason: `${what} did not answer within ${ms} ms` })), ms);
    timer.unref?.();
  });
  work.catch(() => undefined); // finishes on its own; a late failure is not unhandled
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
