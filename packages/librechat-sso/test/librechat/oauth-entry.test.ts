import express from 'express';
import type { AddressInfo } from 'node:net';
import { createOAuthEntryRouter, loginEntryProblems, loadMountConfig } from '../../src/librechat';
import { wantedFromReferer } from '../../src/session/return-url';
import { config } from '../../../../test/helpers/tokens';
import { librechatYaml } from '../../../../test/helpers/librechat-yaml';

/**
 * The login entry LibreChat's SPA honours: its login page auto-redirects to `/oauth/openid`
 * (when /api/config says so), and the oauth.js patch mounts this router there.
 */
const CHAT = 'http://chat.shinegold.test';
const ENTRY_ENV = {
  OPENID_CLIENT_ID: 'shinegold-sso',
  OPENID_CLIENT_SECRET: 'unused',
  OPENID_ISSUER: 'https://shinegold.test',
  OPENID_SESSION_SECRET: 'x'.repeat(32),
  OPENID_AUTO_REDIRECT: 'true',
};

describe('where the person wanted to go, read from the login page they left', () => {
  it.each([
    [`${CHAT}/login?redirect_to=%2Fc%2Fabc%3Fq%3D1`, '/c/abc?q=1'],
    [`${CHAT}/c/xyz`, '/c/xyz'],
    [`${CHAT}/login`, undefined],
    [`${CHAT}/login?redirect_to=%2F%2Fevil.com`, undefined],
    [`${CHAT}/login?redirect_to=https%3A%2F%2Fevil.com`, undefined],
    ['https://evil.com/login?redirect_to=%2Fc%2Fabc', undefined],
    ['not a url', undefined],
    [undefined, undefined],
  ])('%s -> %s', (referer, wanted) => {
    expect(wantedFromReferer(referer, CHAT)).toBe(wanted);
  });
});

describe('GET /oauth/openid', () => {
  let base: string;
  let close: () => void;
  beforeAll(async () => {
    const app = express();
    app.use('/oauth', createOAuthEntryRouter(config()));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  const entry = async (referer?: string) => {
    const r = await fetch(`${base}/oauth/openid`, { redirect: 'manual', headers: referer ? { referer } : {} });
    return { status: r.status, location: new URL(r.headers.get('location')!), cache: r.headers.get('cache-control') };
  };

  it('sends the browser to the main-site login, coming back to the deep link', async () => {
    const r = await entry(`${CHAT}/login?redirect_to=%2Fc%2Fabc`);
    expect(r.status).toBe(302);
    expect(r.cache).toBe('no-store');
    expect(`${r.location.origin}${r.location.pathname}`).toBe('http://shinegold.test/login');
    expect(r.location.searchParams.get('return_to')).toBe(`${CHAT}/c/abc`);
  });

  it('comes back to the chat root when the page it left is unknown or foreign', async () => {
    expect((await entry()).location.searchParams.get('return_to')).toBe(`${CHAT}/`);
    expect((await entry('https://evil.com/c/abc')).location.searchParams.get('return_to')).toBe(`${CHAT}/`);
  });
});

describe('the environment that turns on the auto-redirect', () => {
  it('is fine as docker-compose.override.yml sets it', () => {
    expect(loginEntryProblems(ENTRY_ENV)).toEqual([]);
  });

  it('lists every problem in sentences', () => {
    const problems = loginEntryProblems({ OPENID_SCOPE: 'openid' });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/OPENID_CLIENT_ID, OPENID_ISSUER, OPENID_SESSION_SECRET, OPENID_CLIENT_SECRET are not set/);
    expect(problems[1]).toMatch(/OPENID_AUTO_REDIRECT is not true/);
    expect(problems[2]).toMatch(/OPENID_SCOPE is set/);
  });

  it('stops LibreChat at start when SSO is enforced without it', () => {
    const file = librechatYaml(['  enforce: true']);
    const base = { SHINEGOLD_JWT_SECRET: 's'.repeat(40), JWT_REFRESH_SECRET: 'r'.repeat(40) };
    expect(() => loadMountConfig({ path: file, env: base })).toThrow(/OPENID_AUTO_REDIRECT is not true/);
    expect(loadMountConfig({ path: file, env: { ...base, ...ENTRY_ENV } })?.enforce).toBe(true);
  });
});
