import { SsoError } from './errors';
import { redactText } from './redact';

/**
 * Structured audit events. A sink receives plain objects; the default sink writes one JSON line
 * through LibreChat's logger (winston from @librechat/data-schemas) or the console.
 * By construction an event holds codes, ids and field names: never a token, a secret or raw
 * claims. `redact` is a last guard for anything that looks like a JWT, for fields named like a
 * secret, and for URIs in any string (credentials in userinfo or the query: `redactUri`).
 */
export const AUDIT_EVENTS = [
  'login.accepted',
  'login.refused',
  'login.error',
  'user.created',
  'user.linked',
  'user.synced',
  'role.changed',
  'role.withheld',
  'session.bridged',
  'session.ended',
  'logout.chat',
  'logout.backchannel',
  'lifecycle.applied',
  'lifecycle.refused',
  'import.run',
  'breakglass.used',
  'breakglass.refused',
  'entry.refused',
  'credits.applied',
  'usage.read',
] as const;

export type AuditEventName = (typeof AUDIT_EVENTS)[number];

export interface AuditEvent {
  event: AuditEventName;
  outcome: 'success' | 'failure' | 'error';
  code?: string;
  provider?: string;
  externalId?: string;
  userId?: string;
  detail?: Record<string, unknown>;
}

export type AuditSink = (e: AuditEvent) => void;

export interface LoggerLike {
  info(msg: string, meta?: unknown): void;
  warn(msg: string, meta?: unknown): void;
  error(msg: string, meta?: unknown): void;
}

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;

export function redact(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value.replace(JWT_LIKE, '[redacted-token]'));
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, /token|secret|password|authorization|cookie/i.test(k) ? '[redacted]' : redact(v)]));
  }
  return value;
}

export function loggerSink(logger: LoggerLike = console): AuditSink {
  return (e) => {
    const line = JSON.stringify(redact({ audit: 'shinegold-sso', at: new Date().toISOString(), ...e }));
    if (e.outcome === 'error') logger.error(line);
    else if (e.outcome === 'failure') logger.warn(line);
    else logger.info(line);
  };
}

/** The audit fields of an error: its code and non-secret detail. */
export function errorFields(e: unknown): Pick<AuditEvent, 'code' | 'detail'> {
  if (e instanceof SsoError) return { code: e.code, detail: e.detail };
  return { code: 'SG_INTERNAL', detail: { reason: (e as Error)?.message } };
}
