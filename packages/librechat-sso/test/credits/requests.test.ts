import { validateUsageClaims } from '../../src/credits/usage-request';
import { csvField } from '../../src/credits/usage';
import { validateLifecycleClaims } from '../../src/lifecycle/verify';
import { AUDIENCE, ISSUER, config } from '../../../../test/helpers/tokens';

/** The signed calls' claims, pure: usage requests and the credits events' payload. */
const provider = config().providers[0];
const NOW = 2_000_000_000;
const env = (over: Record<string, unknown>) => ({ iss: ISSUER, aud: AUDIENCE, iat: NOW, exp: NOW + 120, jti: 'j-1', ...over });

it.each([
  ['one person, until now', { sub: 'u-1', event: 'usage.read', usage: { since: NOW - 86400 } }, { sub: 'u-1', since: NOW - 86400, until: NOW + 1, format: 'ndjson' }],
  ['everyone, as CSV', { event: 'usage.read', usage: { since: 1, until: 2, all: true, format: 'csv' } }, { since: 1, until: 2, format: 'csv' }],
])('usage: accepts %s', (_n, claims, expected) => {
  expect(validateUsageClaims(env(claims), provider, NOW)).toMatchObject(expected);
});

it.each([
  ['a lifecycle event', { sub: 'u-1', event: 'user.updated', usage: { since: 1 } }, 'event is not usage.read'],
  ['no sub and no all', { event: 'usage.read', usage: { since: 1 } }, 'no sub: ask for one person, or for everyone with usage.all: true'],
  ['sub and all', { sub: 'u', event: 'usage.read', usage: { since: 1, all: true } }, 'give sub or usage.all, not both'],
  ['since missing', { sub: 'u', event: 'usage.read', usage: {} }, 'usage.since must be seconds since the epoch'],
  ['until before since', { sub: 'u', event: 'usage.read', usage: { since: 10, until: 5 } }, 'usage.until is not after usage.since'],
  ['a period over 366 days', { sub: 'u', event: 'usage.read', usage: { since: NOW - 367 * 86400 } }, 'the period is longer than 366 days; ask per year'],
  ['an unknown format', { sub: 'u', event: 'usage.read', usage: { since: 1, until: 2, format: 'xml' } }, 'usage.format must be ndjson or csv'],
  ['a nonce (an ID token)', { sub: 'u', event: 'usage.read', usage: { since: 1, until: 2 }, nonce: 'n' }, 'nonce present'],
  ['no exp', { sub: 'u', event: 'usage.read', usage: { since: 1, until: 2 }, exp: undefined }, 'exp missing'],
])('usage: refuses %s', (_n, claims, reason) => {
  expect(() => validateUsageClaims(env(claims), provider, NOW)).toThrow(expect.objectContaining({ code: 'SG_USAGE_TOKEN_INVALID', detail: expect.objectContaining({ reason }) }));
});

it.each([
  ['a grant in points', 'credits.granted', { key: 'order-1', points: 5 }, { key: 'order-1', points: 5 }],
  ['a negative grant (a refund taken back)', 'credits.granted', { key: 'r-1', tokenCredits: -500 }, { key: 'r-1', tokenCredits: -500 }],
  ['a set without a key', 'credits.set', { tokenCredits: 0 }, { tokenCredits: 0 }],
])('credits events: accepts %s', (_n, event, credits, expected) => {
  expect(validateLifecycleClaims(env({ sub: 'u-1', event, credits }), provider, NOW).credits).toEqual(expected);
});

it.each([
  ['a grant without a key', 'credits.granted', { points: 5 }, 'credits.granted needs credits.key (the idempotency key)'],
  ['both amounts', 'credits.set', { points: 1, tokenCredits: 1 }, 'credits needs exactly one of points or tokenCredits'],
  ['no amount', 'credits.set', { key: 'k' }, 'credits needs exactly one of points or tokenCredits'],
  ['a negative set', 'credits.set', { points: -1 }, 'credits.points of a set must not be negative'],
  ['a zero grant', 'credits.granted', { key: 'k', points: 0 }, 'credits.points of a grant must not be 0'],
  ['an amount that is not a number', 'credits.set', { points: '5' }, 'credits.points must be a number'],
  ['an unknown field', 'credits.set', { points: 1, reason: 'x' }, 'credits has unknown fields: reason'],
  ['a key with a control character', 'credits.granted', { key: 'a\nb', points: 1 }, 'credits.key must be a string of 1 to 200 characters'],
  ['no credits object', 'credits.set', undefined, 'credits.set without a credits object'],
])('credits events: refuses %s', (_n, event, credits, reason) => {
  expect(() => validateLifecycleClaims(env({ sub: 'u-1', event, credits }), provider, NOW)).toThrow(expect.objectContaining({ code: 'SG_LIFECYCLE_TOKEN_INVALID', detail: expect.objectContaining({ reason }) }));
});

it.each([
  ['plain', 'gpt-4o', 'gpt-4o'],
  ['a comma', 'a,b', '"a,b"'],
  ['a quote', 'say "hi"', '"say ""hi"""'],
  ['a formula', '=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'],
  ['null', null, ''],
  ['a negative number stays a number', -5, '-5'],
] as const)('CSV field: %s', (_n, v, out) => {
  expect(csvField(v)).toBe(out);
});
