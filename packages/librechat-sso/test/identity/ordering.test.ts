import { eventIsStale, latestMarks, loginStanding } from '../../src/identity/ordering';

/** The ordering rule (docs/security.md, "Time"), as a table. Times are the main site's seconds; tolerance 30. */
const T = 1_000_000;
it.each([
  ['no marks', { iat: T }, {}, false, { ok: true, mayWrite: true }],
  ['logged out after the token', { iat: T - 1 }, { loggedOutAt: T }, false, { ok: false, code: 'SG_TOKEN_LOGGED_OUT', reason: 'logged out everywhere' }],
  ['logged out in the token\'s second', { iat: T }, { loggedOutAt: T }, false, { ok: false, code: 'SG_TOKEN_LOGGED_OUT', reason: 'logged out everywhere' }],
  ['issued within the tolerance after the logout (a main-site clock ahead)', { iat: T + 30 }, { loggedOutAt: T }, false, { ok: false, code: 'SG_TOKEN_LOGGED_OUT', reason: 'logged out everywhere' }],
  ['issued after the logout and its tolerance', { iat: T + 31 }, { loggedOutAt: T }, false, { ok: true, mayWrite: true }],
  ['no iat counts as 0', {}, { loggedOutAt: T }, false, { ok: false, code: 'SG_TOKEN_LOGGED_OUT', reason: 'logged out everywhere' }],
  ['its session logged out', { iat: T + 999 }, {}, true, { ok: false, code: 'SG_TOKEN_LOGGED_OUT', reason: 'session logged out' }],
  ['older than the last update: logs in, writes nothing', { iat: T - 5 }, { updatedAt: T }, false, { ok: true, mayWrite: false }],
  ['within the tolerance after the update: writes nothing', { iat: T + 30 }, { updatedAt: T }, false, { ok: true, mayWrite: false }],
  ['newer than the update', { iat: T + 31 }, { updatedAt: T }, false, { ok: true, mayWrite: true }],
] as const)('%s', (_name, token, marks, sidLoggedOut, standing) => {
  expect(loginStanding(token, marks, 30, sidLoggedOut)).toEqual(standing);
});

it('orders events of one kind: an older one is stale, the same second is applied in arrival order', () => {
  expect(eventIsStale(T - 1, T)).toBe(true);
  expect(eventIsStale(T, T)).toBe(false);
  expect(eventIsStale(T + 1, T)).toBe(false);
  expect(eventIsStale(T, undefined)).toBe(false);
  expect(eventIsStale(T, null)).toBe(false);
});

it('merges the marks of the mapping row and the LibreChat user: the latest of each kind', () => {
  expect(latestMarks({ loggedOutAt: 5, updatedAt: 9 }, { loggedOutAt: 7, updatedAt: null }, null)).toEqual({ loggedOutAt: 7, updatedAt: 9 });
  expect(latestMarks(undefined, {})).toEqual({});
});
