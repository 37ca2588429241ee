import os from 'node:os';
import path from 'node:path';
import * as dataSchemas from '@librechat/data-schemas';
import { loadDemoConfig, startWorld, World } from '@shinegold/sandbox';
import { openTestDb, TestDb } from '../helpers/db';

/**
 * Issue 4's browser walk in a real Chromium (Debian's, through playwright-core), against the
 * main-site stand-in and the LibreChat stand-in (its API on the real data-schemas, its SPA
 * stand-in) on shinegold.test and chat.shinegold.test mapped to loopback: the parent-domain
 * cookie, the login entry, both logouts and a user switch are real browser behaviour.
 * `scripts/verify-librechat.sh` runs the same walk against real LibreChat and its real SPA.
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { walk, chromiumAvailable, CHROMIUM } = require('../../scripts/lib/browser-walk');

const hasChromium = chromiumAvailable();
const maybe = hasChromium ? describe : describe.skip;
if (!hasChromium) {
  // Visible in the test output: CI installs chromium (.ci/run), so this only happens elsewhere.
  process.stderr.write(`browser walk skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);
}

maybe('the browser walk (Chromium, two host names on loopback)', () => {
  let db: TestDb;
  let world: World;
  const events: Array<{ event: string; outcome: string }> = [];
  beforeAll(async () => {
    db = await openTestDb(__filename);
    world = await startWorld({
      mongoose: db.mongoose,
      dataSchemas,
      // The demo's own librechat.yaml (npm start's default), its session URLs set to this world.
      config: (origins) => loadDemoConfig({ env: {}, origins }).config,
      mainHost: 'shinegold.test',
      chatHost: 'chat.shinegold.test',
      cookieDomain: '.shinegold.test',
      refreshMs: 1000,
      audit: (e) => events.push(e as { event: string; outcome: string }),
    });
  });
  afterAll(async () => {
    await world?.close();
    await db?.drop();
  });

  it('logs in, mirrors logout both ways and follows a user switch', async () => {
    const shots = path.join(os.tmpdir(), `shinegold-walk-${process.pid}`);
    const result = await walk({
      main: world.main,
      chat: world.chat,
      users: [
        { key: 'ada', email: 'ada@shinegold.test' },
        { key: 'bob', email: 'bob@shinegold.test' },
      ],
      shots,
    });
    const lines = result.steps.map((s: { ok: boolean; name: string; detail?: string }) => `${s.ok ? 'PASS' : 'FAIL'} ${s.name}: ${s.detail ?? ''}`);
    expect(lines.filter((l: string) => l.startsWith('FAIL'))).toEqual([]);
    expect(result.steps).toHaveLength(5);
    // The chat side really holds Bob now and no session of Ada survived her logout.
    const ada = await db.store.User.findOne({ email: 'ada@shinegold.test' }).lean<any>();
    expect(ada.role).toBe('ADMIN');
    expect(await db.store.Session.countDocuments({ user: ada._id })).toBe(0);
    // Both directions of logout really happened, as the audit trail says.
    const seen = new Set(events.filter((e) => e.outcome === 'success').map((e) => e.event));
    for (const e of ['user.created', 'session.bridged', 'logout.chat', 'logout.backchannel', 'session.ended']) expect(seen).toContain(e);
  }, 240_000);
});
