import { normalizeEmail } from '../../src/identity/email';

/** One normal form of an email that never merges two addresses the main site keeps apart. */
it.each([
  ['Ada@Example.COM', { ok: true, email: 'ada@example.com' }],
  ['  ada@example.com ', { ok: true, email: 'ada@example.com' }],
  ['Ärger@Bücher.de', { ok: true, email: 'ärger@bücher.de' }],
  ['A\u0308rger@bücher.de', { ok: true, email: 'ärger@bücher.de' }], // decomposed Ä: the same address, NFC
  ['\u212Aelly@example.com', { ok: false, reason: 'contains a compatibility character (such as the Kelvin sign)' }],
  ['ａｄａ@example.com', { ok: false, reason: 'contains a compatibility character (such as the Kelvin sign)' }],
  ['ada@exam\u200Bple.com', { ok: false, reason: 'contains an invisible or space character' }],
  ['ada\u00AD@example.com', { ok: false, reason: 'contains an invisible or space character' }],
  ['\u202Eada@example.com', { ok: false, reason: 'contains an invisible or space character' }],
  ['ad a@example.com', { ok: false, reason: 'contains an invisible or space character' }],
  ['ada\u0000@example.com', { ok: false, reason: 'contains a control character' }],
  ['ada\u0085@example.com', { ok: false, reason: 'contains a control character' }],
  ['\u0130nci@example.com', { ok: false, reason: 'contains a character whose lower case is two characters' }],
  ['ada@example', { ok: false, reason: 'not an email address' }],
  ['ada@@example.com', { ok: false, reason: 'not an email address' }],
  ['<ada@example.com>', { ok: false, reason: 'not an email address' }],
  ['', { ok: false, reason: 'empty' }],
  [42, { ok: false, reason: 'not a string' }],
  [`${'a'.repeat(250)}@example.com`, { ok: false, reason: 'longer than 254 characters' }],
])('%j -> %j', (raw, result) => {
  expect(normalizeEmail(raw)).toEqual(result);
});
