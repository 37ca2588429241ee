/**
 * The one reading of a subject (the main-site user id), for login tokens, lifecycle calls,
 * back-channel logouts and import rows alike: a non-empty string of at most 256 characters
 * without control characters, or a non-negative safe integer (taken as its decimal string);
 * `null`, `undefined` and `none` in any case are refused, as are blank strings. Pure.
 */
export type SubjectResult = { ok: true; subject: string } | { ok: false; reason: string };

const SUBJECT_MAX = 256;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function normalizeSubject(raw: unknown): SubjectResult {
  if (raw === undefined || raw === null) return { ok: false, reason: 'missing' };
  let subject: string;
  if (typeof raw === 'string') subject = raw;
  else if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) subject = String(raw);
  else return { ok: false, reason: 'not a string or a non-negative integer' };
  if (subject.trim() === '' || subject !== subject.trim()) return { ok: false, reason: 'blank, or with spaces around it' };
  if (subject.length > SUBJECT_MAX) return { ok: false, reason: `longer than ${SUBJECT_MAX} characters` };
  if (CONTROL.test(subject)) return { ok: false, reason: 'contains a control character' };
  if (['null', 'undefined', 'none'].includes(subject.toLowerCase())) return { ok: false, reason: 'a placeholder, not an id' };
  return { ok: true, subject };
}
