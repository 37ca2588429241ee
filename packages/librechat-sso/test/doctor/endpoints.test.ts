import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkEndpoints } from '../../src/doctor/endpoints';
import { config } from '../../../../test/helpers/tokens';
import { startHarness } from '../../../../test/librechat-harness/server';

/** The real routes on the LibreChat stand-in, and plain servers for what goes wrong in front of it. */
let h: Awaited<ReturnType<typeof startHarness>>;
beforeAll(async () => {
  h = await startHarness(__filename);
});
afterAll(() => h.close());

async function serve(handler: http.RequestListener) {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise((r) => s.close(r)) };
}
const by = (fs: Awaited<ReturnType<typeof checkEndpoints>>, id: string) => fs.find((f) => f.check === id)!;

describe('doctor: endpoints', () => {
  it('passes the mounted add-on: back-channel 400 no-store, login entry to the configured page', async () => {
    const f = await checkEndpoints({ chatUrl: h.base, config: h.sso.config });
    expect(by(f, 'endpoints.backchannel')).toMatchObject({ status: 'ok', message: expect.stringMatching(/answers 400 \(SG_LOGOUT_TOKEN_INVALID\) with no-store/) });
    expect(by(f, 'endpoints.lifecycle')).toMatchObject({ status: 'ok', message: expect.stringMatching(/answers 400 \(SG_[A-Z_]+\) with no-store/) });
    expect(by(f, 'endpoints.usage')).toMatchObject({ status: 'ok', message: expect.stringMatching(/answers 400 \(SG_USAGE_TOKEN_INVALID\) with no-store/) });
    expect(by(f, 'endpoints.login')).toMatchObject({ status: 'ok', message: 'GET /api/auth/sso/login redirects (302) to http://shinegold.test/login, the configured login page.' });
  });

  it('fails a login entry that redirects somewhere else than this configuration says', async () => {
    const other = config({ session: { chatOrigin: 'http://chat.shinegold.test', loginUrl: 'https://id.shinegold.test/signin', logoutUrl: 'http://shinegold.test/logout' } });
    const f = by(await checkEndpoints({ chatUrl: `${h.base}/some/path`, config: other }), 'endpoints.login');
    expect(f).toMatchObject({ status: 'fail', message: expect.stringMatching(/redirects to http:\/\/shinegold.test\/login, but session.loginUrl is https:\/\/id.shinegold.test\/signin/) });
    expect(f.fix).toMatch(/same librechat.yaml/);
  });

  it('fails a LibreChat without the routes: 404 for the POSTs, the SPA page for the login entry', async () => {
    const spa = await serve((req, res) => (req.method === 'GET' ? res.end('<!doctype html><div id="root"></div>') : res.writeHead(404).end('Not Found')));
    try {
      const f = await checkEndpoints({ chatUrl: spa.url, config: h.sso.config });
      expect(by(f, 'endpoints.backchannel')).toMatchObject({ status: 'fail', message: expect.stringMatching(/answered 404: the back-channel logout is not mounted/), fix: expect.stringMatching(/auth-routes\.patch/) });
      expect(by(f, 'endpoints.login')).toMatchObject({ status: 'fail', message: expect.stringMatching(/answered 200 instead of a redirect/), fix: expect.stringMatching(/The SPA answered/) });
    } finally {
      await spa.close();
    }
  });

  it('fails a 400 that lost no-store in a proxy, and an unreachable chat', async () => {
    const proxy = await serve((_req, res) => res.writeHead(400, { 'cache-control': 'public, max-age=60' }).end('{"code":"SG_LOGOUT_TOKEN_INVALID"}'));
    try {
      const f = await checkEndpoints({ chatUrl: proxy.url, config: h.sso.config });
      expect(by(f, 'endpoints.backchannel')).toMatchObject({ status: 'fail', message: expect.stringMatching(/without Cache-Control: no-store/) });
    } finally {
      await proxy.close();
    }
    const gone = await serve(() => undefined);
    await gone.close();
    const f = await checkEndpoints({ chatUrl: gone.url, timeoutMs: 1000 });
    expect(by(f, 'endpoints.login')).toMatchObject({ status: 'fail', message: expect.stringMatching(/cannot be reached \(ECONNREFUSED\)/) });
    expect(await checkEndpoints({ chatUrl: 'chat.shinegold.com' })).toEqual([expect.objectContaining({ check: 'endpoints.url', status: 'fail' })]);
  });
});
