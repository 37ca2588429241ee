import type { TestDb } from '../../../../test/helpers/db';
import { AUDIENCE, ISSUER, claims, nowSec, sign } from '../../../../test/helpers/tokens';
import { startHarness } from '../../../../test/librechat-harness/server';

/**
 * The session bridge and credits: a person with a chat session whose main-site cookie now carries
 * other points gets them as balance at the next refresh (the fast passthrough to LibreChat's own
 * refresh is taken only for points this process saw applied); unchanged points pass through.
 */
let harness: Awaited<ReturnType<typeof startHarness>>;
let db: TestDb;

beforeAll(async () => {
  harness = await startHarness(__filename, { config: { providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 1 }], credits: { claim: 'points', creditsPerPoint: 10 } } });
  db = harness.db;
});
afterAll(() => harness.close());

const refresh = async (cookie: string) => {
  const r = await fetch(`${harness.base}/api/auth/refresh`, { method: 'POST', headers: { cookie } });
  const cookies = r.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => /^(refreshToken|token_provider)=./.test(c));
  return { native: r.headers.get('x-harness') === 'native', body: (await r.json()) as { user: { _id: string } }, cookies };
};

it('applies changed points at a refresh of a running chat session, and lets unchanged ones pass through', async () => {
  const parent = async (points: number, iat = nowSec()) => `sg_session=${await sign(claims({ sub: 'br-1', email: 'br-1@example.com', sid: 'sid-br', points, iat }))}`;
  const first = await refresh(await parent(5));
  const userId = first.body.user._id;
  const balance = async () => (await harness.sso.credits.balances.read(userId))?.tokenCredits;
  expect(await balance()).toBe(50);
  let session = first.cookies.join('; ');

  const same = await refresh(`${await parent(5)}; ${session}`);
  expect(same.native).toBe(true);
  session = same.cookies.join('; ') || session;

  const changed = await refresh(`${await parent(6)}; ${session}`);
  expect(changed.body.user._id).toBe(userId);
  expect(await balance()).toBe(60);
  session = changed.cookies.join('; ') || session;
  // Known now: the next refresh with these points is LibreChat's own again.
  const again = await refresh(`${await parent(6)}; ${session}`);
  expect(again.native).toBe(true);
  expect(await db.store.Balance.countDocuments({ user: userId })).toBe(1);
});
