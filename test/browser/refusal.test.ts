import os from 'node:os';
import path from 'node:path';
import * as dataSchemas from '@librechat/data-schemas';
import { loadDemoConfig, startWorld, World } from '@shinegold/sandbox';
import { openTestDb, TestDb } from '../helpers/db';

/**
 * A refused person is told why on chat's own page, never sent round, in a real Chromium, with a
 * main site that forwards logged-in people straight back to chat (the kit's advice). The same
 * walk runs against real LibreChat's SPA in `npm run verify:librechat`.
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { refusalWalk, chromiumAvailable, CHROMIUM } = require('../../scripts/lib/browser-walk');

const hasChromium = chromiumAvailable();
const maybe = hasChromium ? describe : describe.skip;
if (!hasChromium) process.stderr.write(`refusal walk skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);

maybe('a refused person, in Chromium, with a main site that forwards logged-in people', () => {
  let db: TestDb;
  let world: World;
  beforeAll(async () => {
    db = await openTestDb(__filename);
    world = await startWorld({
      mongoose: db.mongoose,
      dataSchemas,
      // Chat requires the vip role: bob has it, cy does not.
      config: (origins) => loadDemoConfig({ env: {}, origins, overrides: { roles: { claim: 'roles', admin: ['admin'], map: { vip: 'VIP' }, known: ['VIP'], required: ['vip'] } } }).config,
      mainHost: 'shinegold.test',
      chatHost: 'chat.shinegold.test',
      cookieDomain: '.shinegold.test',
      refreshMs: 1000,
      forwardLoggedIn: true,
    });
  });
  afterAll(async () => {
    await world?.close();
    await db?.drop();
  });

  it('shows the reason instead of a loop, and ends any cycle within two round trips', async () => {
    const result = await refusalWalk({
      main: world.main,
      chat: world.chat,
      refused: { key: 'cy', code: 'SG_ROLE_REQUIRED' },
      allowed: { key: 'bob' },
      logoutEverywhere: async (key: string) => {
        const r = await fetch(`${world.main.replace('shinegold.test', '127.0.0.1')}/demo/logout-everywhere/${key}`, { method: 'POST' });
        if (r.status !== 200) throw new Error(`logout everywhere answered ${r.status}`);
      },
      shots: path.join(os.tmpdir(), `shinegold-refusal-${process.pid}`),
    });
    const lines = result.steps.map((s: { ok: boolean; name: string; detail?: string }) => `${s.ok ? 'PASS' : 'FAIL'} ${s.name}: ${s.detail ?? ''}`);
    expect(lines.filter((l: string) => l.startsWith('FAIL'))).toEqual([]);
    expect(result.steps).toHaveLength(2);
  }, 120_000);
});
