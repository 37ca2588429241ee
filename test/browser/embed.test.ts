import os from 'node:os';
import path from 'node:path';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as dataSchemas from '@librechat/data-schemas';
import { loadDemoConfig, startWorld, World } from '@shinegold/sandbox';
import { openTestDb, TestDb } from '../helpers/db';

/**
 * Chat framed by a page of the main site, in a real Chromium: same-site, so chat's own
 * SameSite=Strict cookies work in the frame; signed in and out inside the frame; and a page on
 * another site is refused by the browser (chat answers frame-ancestors with the configured origins).
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { embedWalk, chromiumAvailable, CHROMIUM } = require('../../scripts/lib/browser-walk');

const hasChromium = chromiumAvailable();
const maybe = hasChromium ? describe : describe.skip;
if (!hasChromium) process.stderr.write(`embedding walk skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);

maybe('chat inside a main-site page, in Chromium', () => {
  let db: TestDb;
  let world: World;
  let foreign: Server;
  let foreignOrigin: string;
  beforeAll(async () => {
    db = await openTestDb(__filename);
    world = await startWorld({
      mongoose: db.mongoose,
      dataSchemas,
      config: (origins) => loadDemoConfig({ env: {}, origins, overrides: { embedding: { frameAncestors: [origins.main] } } }).config,
      mainHost: 'shinegold.test',
      chatHost: 'chat.shinegold.test',
      cookieDomain: '.shinegold.test',
      refreshMs: 1000,
    });
    foreign = createServer((_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>elsewhere</title><iframe src="${world.chat}/c/new"></iframe>`));
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', () => r()));
    foreignOrigin = `http://www.elsewhere.test:${(foreign.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => foreign?.close(r));
    await world?.close();
    await db?.drop();
  });

  it('signs in and out inside the frame, and refuses a frame on another site', async () => {
    const result = await embedWalk({
      main: world.main,
      chat: world.chat,
      user: { key: 'bob', email: 'bob@shinegold.test' },
      embedPage: `${world.main}/embed`,
      foreignPage: `${foreignOrigin}/`,
      shots: path.join(os.tmpdir(), `shinegold-embed-${process.pid}`),
    });
    const lines = result.steps.map((s: { ok: boolean; name: string; detail?: string }) => `${s.ok ? 'PASS' : 'FAIL'} ${s.name}: ${s.detail ?? ''}`);
    expect(lines.filter((l: string) => l.startsWith('FAIL'))).toEqual([]);
    expect(result.steps).toHaveLength(3);
  }, 120_000);
});
