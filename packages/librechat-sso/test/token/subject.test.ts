import { normalizeSubject } from '../../src/token/subject';

/** The one reading of a subject, for login tokens, lifecycle calls, back-channel logouts and import rows. */
it.each([
  ['sg-1001', { ok: true, subject: 'sg-1001' }],
  [1001, { ok: true, subject: '1001' }],
  [0, { ok: true, subject: '0' }],
  [-1, { ok: false, reason: 'not a string or a non-negative integer' }],
  [1.5, { ok: false, reason: 'not a string or a non-negative integer' }],
  [2 ** 60, { ok: false, reason: 'not a string or a non-negative integer' }],
  [{ id: 1 }, { ok: false, reason: 'not a string or a non-negative integer' }],
  [undefined, { ok: false, reason: 'missing' }],
  [null, { ok: false, reason: 'missing' }],
  ['', { ok: false, reason: 'blank, or with spaces around it' }],
  [' 1001', { ok: false, reason: 'blank, or with spaces around it' }],
  ['x'.repeat(257), { ok: false, reason: 'longer than 256 characters' }],
  ['a\nb', { ok: false, reason: 'contains a control character' }],
  ['NULL', { ok: false, reason: 'a placeholder, not an id' }],
  ['none', { ok: false, reason: 'a placeholder, not an id' }],
])('%j -> %j', (raw, result) => {
  expect(normalizeSubject(raw)).toEqual(result);
});
