import { checkCookie, domainCovers } from '../../src/doctor/cookie';
import { config } from '../../../../test/helpers/tokens';

const site = (session: Record<string, unknown> = {}, raw: Record<string, unknown> = {}) =>
  config({
    session: { chatOrigin: 'https://chat.shinegold.com', loginUrl: 'https://shinegold.com/login', logoutUrl: 'https://shinegold.com/logout', ...session },
    ...raw,
  });
const find = (fs: { check: string }[], check: string) => fs.filter((f) => f.check === check) as Array<{ check: string; status: string; message: string; fix?: string }>;

describe('doctor: cookie', () => {
  it('passes the intended set-up: .shinegold.com, https chat, same site, chat host allowed', () => {
    const f = checkCookie({ config: site(), cookieDomain: '.shinegold.com', env: { NODE_ENV: 'production' } });
    expect(f.map((x) => `${x.check}:${x.status}`)).toEqual(['cookie.domain:ok', 'cookie.secure:ok', 'cookie.samesite:ok', 'cookie.return-hosts:ok']);
  });

  it('matches the domain on a label boundary only', () => {
    expect(domainCovers('.shinegold.com', 'chat.shinegold.com')).toBe(true);
    expect(domainCovers('shinegold.com', 'shinegold.com')).toBe(true);
    expect(domainCovers('.shinegold.com', 'chat.evilshinegold.com')).toBe(false);
    expect(domainCovers('.shinegold.com', 'shinegold.com.evil.io')).toBe(false);
  });

  it('fails a cookie domain that does not cover the chat host, and says which Domain to set', () => {
    const [d] = find(checkCookie({ config: site(), cookieDomain: 'www.shinegold.com' }), 'cookie.domain');
    expect(d).toMatchObject({ status: 'fail', message: 'A cookie for Domain=.www.shinegold.com is never sent to the chat host chat.shinegold.com.' });
    expect(d.fix).toMatch(/Domain=\.shinegold\.com/);
  });

  it('fails a domain the main site cannot set, a top-level domain, and an unknown domain is a warning', () => {
    const [own] = find(checkCookie({ config: site(), cookieDomain: 'chat.shinegold.com' }), 'cookie.domain');
    expect(own).toMatchObject({ status: 'fail', message: expect.stringMatching(/main site \(shinegold.com, from session.loginUrl\) cannot set a cookie/) });
    const [tld] = find(checkCookie({ config: site(), cookieDomain: '.com' }), 'cookie.domain');
    expect(tld).toMatchObject({ status: 'fail', message: expect.stringMatching(/top-level domain/), fix: expect.stringMatching(/\.shinegold\.com/) });
    const [none] = find(checkCookie({ config: site() }), 'cookie.domain');
    expect(none).toMatchObject({ status: 'warn', fix: expect.stringMatching(/--cookie-domain/) });
  });

  it('fails plain http in production, warns outside it, and accepts localhost', () => {
    const http = site({ chatOrigin: 'http://chat.shinegold.com', allowedReturnHosts: ['chat.shinegold.com'] });
    expect(find(checkCookie({ config: http, cookieDomain: '.shinegold.com', env: { NODE_ENV: 'production' } }), 'cookie.secure')[0]).toMatchObject({ status: 'fail', fix: expect.stringMatching(/https/) });
    expect(find(checkCookie({ config: http, cookieDomain: '.shinegold.com', env: {} }), 'cookie.secure')[0].status).toBe('warn');
    const local = site({ chatOrigin: 'http://localhost:3080', loginUrl: 'http://localhost:3000/login', logoutUrl: 'http://localhost:3000/logout' });
    const f = checkCookie({ config: local, cookieDomain: 'localhost', env: { NODE_ENV: 'production' } });
    expect(f.filter((x) => x.status !== 'ok')).toEqual([]);
  });

  it('fails a main site on another site than chat (SameSite=Lax)', () => {
    const f = checkCookie({ config: site({ loginUrl: 'https://login.othersite.io/login' }) });
    expect(find(f, 'cookie.samesite')[0]).toMatchObject({ status: 'fail', fix: expect.stringMatching(/subdomain of the main site/) });
  });

  it('knows public suffixes: hosts under co.uk or github.io are different sites, and such a Domain is refused', () => {
    const uk = site({ chatOrigin: 'https://chat.shinegold.co.uk', loginUrl: 'https://shinegold.co.uk/login', logoutUrl: 'https://shinegold.co.uk/logout' });
    expect(find(checkCookie({ config: uk, cookieDomain: '.shinegold.co.uk' }), 'cookie.samesite')[0]).toMatchObject({ status: 'ok', message: expect.stringMatching(/one site \(shinegold\.co\.uk\)/) });
    const [suffix] = find(checkCookie({ config: uk, cookieDomain: '.co.uk' }), 'cookie.domain');
    expect(suffix).toMatchObject({ status: 'fail', message: expect.stringMatching(/\.co\.uk is a public suffix/), fix: expect.stringMatching(/\.shinegold\.co\.uk/) });
    // Two unrelated sites that share only a public suffix.
    const apart = site({ chatOrigin: 'https://chat.example.co.uk', loginUrl: 'https://shinegold.co.uk/login', logoutUrl: 'https://shinegold.co.uk/logout' });
    expect(find(checkCookie({ config: apart }), 'cookie.samesite')[0].status).toBe('fail');
    const pages = site({ chatOrigin: 'https://chat.github.io', loginUrl: 'https://shinegold.github.io/login', logoutUrl: 'https://shinegold.github.io/logout' });
    expect(find(checkCookie({ config: pages }), 'cookie.samesite')[0].status).toBe('fail');
  });

  it('fails a __Host- cookie, which can never carry a Domain', () => {
    const f = checkCookie({ config: site({}, { cookieName: '__Host-sg' }), cookieDomain: '.shinegold.com' });
    expect(find(f, 'cookie.name')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/forbids a Domain attribute/) });
  });

  it('checks the return-host allowlist against the chat host and the cookie domain', () => {
    const f = checkCookie({ config: site({ allowedReturnHosts: ['*.shinegold.com', 'evil.example'] }), cookieDomain: '.shinegold.com' });
    const r = find(f, 'cookie.return-hosts');
    expect(r.map((x) => x.status)).toEqual(['fail', 'warn', 'warn']);
    expect(r[0].message).toMatch(/not host names and never match: \*\.shinegold\.com/);
    expect(r[1].fix).toMatch(/Add chat.shinegold.com to session.allowedReturnHosts/);
    expect(r[2].message).toMatch(/to evil.example, which Domain=.shinegold.com does not cover/);
  });
});
