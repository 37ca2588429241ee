import { Counter, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics on a registry of our own (LibreChat may have its own default registry;
 * ours never collides with it). Labels are codes and outcomes, never user data.
 */
export function createMetrics() {
  const registry = new Registry();
  const logins = new Counter({
    name: 'shinegold_sso_logins_total',
    help: 'Token checks by outcome (accepted, refused, error) and code.',
    labelNames: ['outcome', 'code', 'provider'] as const,
    registers: [registry],
  });
  const users = new Counter({
    name: 'shinegold_sso_user_events_total',
    help: 'Users created, linked, synced; roles changed.',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const logouts = new Counter({
    name: 'shinegold_sso_logouts_total',
    help: 'Logouts by direction (chat, backchannel, bridge) and outcome.',
    labelNames: ['direction', 'outcome'] as const,
    registers: [registry],
  });
  const lifecycle = new Counter({
    name: 'shinegold_sso_lifecycle_total',
    help: 'Lifecycle calls by event and outcome (changed, unchanged, dry_run, refused, conflict, error).',
    labelNames: ['event', 'outcome'] as const,
    registers: [registry],
  });
  const breakGlass = new Counter({
    name: 'shinegold_sso_break_glass_total',
    help: 'Break-glass password logins by outcome (handed_over to LibreChat, refused).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'shinegold_sso_authenticate_seconds',
    help: 'Time to judge a token and find or create its user.',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  return { registry, logins, users, logouts, duration, lifecycle, breakGlass };
}

export type Metrics = ReturnType<typeof createMetrics>;
