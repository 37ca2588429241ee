import { creditsFor, grantDecision, loginDecision, setDecision } from '../../src/credits/rules';

/** When points become balance (docs/credits.md, "When"), as tables. Main-site seconds; tolerance 30. */
const T = 1_000_000;

it.each([
  ['nothing applied yet', 5, T, {}, { apply: true }],
  ['the same points as applied', 5, T + 999, { points: 5, loginAt: T }, { apply: false, why: 'unchanged' }],
  ['changed points, a newer token', 7, T + 1, { points: 5, loginAt: T }, { apply: true }],
  ['changed points, the same second as the token that applied', 7, T, { points: 5, loginAt: T }, { apply: true }],
  ['changed points, an older token than the one that applied', 7, T - 1, { points: 5, loginAt: T }, { apply: false, why: 'older token' }],
  ['a token older than a set by the main site', 7, T - 1, { points: 5, setAt: T }, { apply: false, why: 'stale' }],
  ['a token within the tolerance after a set (the event wins)', 7, T + 30, { points: 5, setAt: T }, { apply: false, why: 'stale' }],
  ['a token issued after a set and its tolerance', 7, T + 31, { points: 5, setAt: T }, { apply: true }],
  ['a token within the tolerance after a grant', 7, T + 30, { grantAt: T }, { apply: false, why: 'stale' }],
  ['a token after a grant and its tolerance', 7, T + 31, { grantAt: T }, { apply: true }],
  ['a set by credits (no points recorded): a newer token applies its points', 7, T + 31, { points: null, setAt: T }, { apply: true }],
  ['a token without iat counts as 0', 7, undefined, { loginAt: 1 }, { apply: false, why: 'older token' }],
] as const)('login: %s', (_n, points, iat, state, decision) => {
  expect(loginDecision(points, iat, 30, state)).toEqual(decision);
});

it.each([
  ['nothing applied yet', T, {}, undefined, { apply: true }],
  ['after the last set', T, { setAt: T - 1 }, undefined, { apply: true }],
  ['the same second as the last set (arrival order)', T, { setAt: T }, undefined, { apply: true }],
  ['older than the last set', T - 1, { setAt: T }, undefined, { apply: false, why: 'stale' }],
  ['older than a grant applied (it would undo it)', T - 1, { grantAt: T }, undefined, { apply: false, why: 'stale' }],
  ['older than a login token by less than the tolerance (the event wins)', T, { loginAt: T + 30 }, undefined, { apply: true }],
  ['older than a login token by more than the tolerance', T, { loginAt: T + 31 }, undefined, { apply: false, why: 'stale' }],
  ['its key applied already', T + 5, { ops: ['p:k1'] }, 'p:k1', { apply: false, why: 'duplicate' }],
] as const)('set: %s', (_n, at, state, opId, decision) => {
  expect(setDecision(at, 30, state, opId)).toEqual(decision);
});

it.each([
  ['nothing applied yet', T, {}, { apply: true }],
  ['its key applied already', T, { ops: ['p:a', 'p:k'] }, { apply: false, why: 'duplicate' }],
  ['older than a later grant: grants never make each other stale', T - 100, { grantAt: T, ops: ['p:other'] }, { apply: true }],
  ['older than the last set (the set counted it)', T - 1, { setAt: T }, { apply: false, why: 'stale' }],
  ['the same second as the last set', T, { setAt: T }, { apply: true }],
  ['older than a login that applied points, beyond the tolerance', T, { loginAt: T + 31 }, { apply: false, why: 'stale' }],
] as const)('grant: %s', (_n, at, state, decision) => {
  expect(grantDecision(at, 30, state, 'p:k')).toEqual(decision);
});

it('turns points into whole LibreChat credits at the configured rate (1,000 credits = $0.001)', () => {
  expect(creditsFor(140, 1000)).toBe(140_000);
  expect(creditsFor(0.5, 3)).toBe(2);
  expect(creditsFor(0, 1000)).toBe(0);
});
