import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, readSection } from '@shinegold/librechat-sso';
import {
  DEMO_CONFIG_FILE,
  demoHosts,
  demoOrigins,
  demoSession,
  loadDemoConfig,
  providersWithoutKey,
  signingProvider,
} from '../src/demo-config';

// js-yaml 4, as the add-on reads librechat.yaml.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const yaml = require(require.resolve('js-yaml', { paths: [path.join(__dirname, '../../librechat-sso')] }));

const ROOT = path.join(__dirname, '../../..');
const EXAMPLE = path.join(ROOT, 'librechat.yaml');
const DEFAULT_ORIGINS = { main: 'http://shinegold.localhost:3000', chat: 'http://chat.shinegold.localhost:3080' };
const SECRET = 's'.repeat(64);

/** Every leaf where two parsed documents differ, as `a.b[0].c`; a key only on one side counts too. */
function differences(a: unknown, b: unknown, at = ''): string[] {
  const isObj = (v: unknown) => typeof v === 'object' && v !== null;
  if (Array.isArray(a) && Array.isArray(b)) {
    return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => differences(a[i], b[i], `${at}[${i}]`)).flat();
  }
  if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])];
    return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

const tmpFile = (text: string) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'sg-demo-')), 'librechat.yaml');
  writeFileSync(file, text);
  return file;
};

describe("the demo's librechat.yaml is the repository's example with the demo's hosts", () => {
  const example = yaml.load(readFileSync(EXAMPLE, 'utf8'));
  const demo = yaml.load(readFileSync(DEMO_CONFIG_FILE, 'utf8'));

  it('differs only in the issuer, the audience and the session URLs', () => {
    expect(differences(example, demo)).toEqual([
      'shinegold.providers[0].issuer',
      'shinegold.providers[0].audience',
      'shinegold.session.chatOrigin',
      'shinegold.session.loginUrl',
      'shinegold.session.logoutUrl',
      'shinegold.session.allowedReturnHosts[0]',
    ]);
  });

  it('puts the demo hosts exactly where the example has shinegold.com', () => {
    const at = (doc: any) => [
      doc.shinegold.providers[0].issuer,
      doc.shinegold.providers[0].audience,
      doc.shinegold.session.chatOrigin,
      doc.shinegold.session.loginUrl,
      doc.shinegold.session.logoutUrl,
      doc.shinegold.session.allowedReturnHosts,
    ];
    expect(at(example)).toEqual([
      'https://shinegold.com',
      'chat.shinegold.com',
      'https://chat.shinegold.com',
      'https://shinegold.com/login',
      'https://shinegold.com/logout',
      ['chat.shinegold.com'],
    ]);
    expect(at(demo)).toEqual([
      'http://shinegold.localhost',
      'chat.shinegold.localhost',
      'http://chat.shinegold.localhost:3080',
      'http://shinegold.localhost:3000/login',
      'http://shinegold.localhost:3000/logout',
      ['chat.shinegold.localhost:3080'],
    ]);
  });

  it('is valid as it stands, with a key in the environment', () => {
    const config = loadConfig(readSection(DEMO_CONFIG_FILE), { env: { SHINEGOLD_JWT_SECRET: SECRET } });
    expect(config.session.chatOrigin).toBe(DEFAULT_ORIGINS.chat);
    expect(config.session.loginUrl).toBe(`${DEFAULT_ORIGINS.main}/login`);
  });
});

describe('demoHosts: MAIN_PORT, CHAT_PORT, SANDBOX_DOMAIN', () => {
  it.each([
    [{}, { domain: 'shinegold.localhost', mainPort: 3000, chatPort: 3080 }],
    [{ MAIN_PORT: '4000', CHAT_PORT: '4080', SANDBOX_DOMAIN: 'Shinegold.Test' }, { domain: 'shinegold.test', mainPort: 4000, chatPort: 4080 }],
    [{ MAIN_PORT: '0', CHAT_PORT: '' }, { domain: 'shinegold.localhost', mainPort: 0, chatPort: 3080 }],
  ])('%j -> %j', (env, hosts) => {
    expect(demoHosts(env)).toEqual(hosts);
  });

  it.each([
    [{ MAIN_PORT: 'abc' }, 'MAIN_PORT is "abc": set it to a port number (0 picks a free one).'],
    [{ CHAT_PORT: '70000' }, 'CHAT_PORT is "70000": set it to a port number (0 picks a free one).'],
    [{ CHAT_PORT: '-1' }, 'CHAT_PORT is "-1": set it to a port number (0 picks a free one).'],
    [{ SANDBOX_DOMAIN: 'localhost' }, 'SANDBOX_DOMAIN is "localhost": set it to a host name with a dot, such as shinegold.localhost.'],
  ])('%j is refused in one sentence', (env, sentence) => {
    expect(() => demoHosts(env)).toThrow(sentence);
  });

  it('builds the two origins', () => {
    expect(demoOrigins('shinegold.localhost', 3000, 3080)).toEqual(DEFAULT_ORIGINS);
  });
});

describe('demoSession: the session URLs are the demo origins', () => {
  const section = readSection(DEMO_CONFIG_FILE) as any;

  it('changes nothing when the file already names the demo origins', () => {
    const r = demoSession(section, DEFAULT_ORIGINS);
    expect(r.replaced).toEqual([]);
    expect(r.section).toEqual(section);
  });

  it('names each session URL it replaced, and keeps the other session options', () => {
    const r = demoSession(section, { main: 'http://shinegold.test:4000', chat: 'http://chat.shinegold.test:4080' });
    expect(r.replaced).toEqual(['session.chatOrigin', 'session.loginUrl', 'session.logoutUrl', 'session.allowedReturnHosts']);
    expect((r.section as any).session).toEqual({
      chatOrigin: 'http://chat.shinegold.test:4080',
      loginUrl: 'http://shinegold.test:4000/login',
      logoutUrl: 'http://shinegold.test:4000/logout',
      returnParam: 'return_to',
      allowedReturnHosts: ['chat.shinegold.test:4080'],
    });
    expect((r.section as any).providers).toBe(section.providers);
  });
});

describe('keys: from the environment, else a random secret for the run', () => {
  const two = {
    providers: [
      { name: 'shinegold', issuer: 'https://a.test', audience: 'chat.a.test' },
      { name: 'partner-co', issuer: 'https://b.test', audience: 'chat.b.test' },
      { name: 'third', envPrefix: 'OTHER', issuer: 'https://c.test', audience: 'chat.c.test' },
    ],
  };

  it.each([
    [{}, ['SHINEGOLD', 'PARTNER_CO', 'OTHER']],
    [{ SHINEGOLD_JWT_SECRET: SECRET }, ['PARTNER_CO', 'OTHER']],
    [{ PARTNER_CO_JWT_PUBLIC_KEY: 'pem', OTHER_JWKS_URI_FILE: '/run/jwks' }, ['SHINEGOLD']],
    [{ SHINEGOLD_JWT_SECRET: '  ' }, ['SHINEGOLD', 'PARTNER_CO', 'OTHER']],
  ])('with %j the providers without a key are %j', (env, prefixes) => {
    expect(providersWithoutKey(two, env).map((p) => p.prefix)).toEqual(prefixes);
  });

  it('uses SHINEGOLD for a single provider, whatever its name', () => {
    expect(providersWithoutKey({ providers: [{ name: 'main' }] }, {})).toEqual([{ name: 'main', prefix: 'SHINEGOLD' }]);
  });

  it('makes a secret for each provider without one; the validator accepts them under its own names', () => {
    const file = tmpFile(`shinegold: ${JSON.stringify(two)}\n`);
    let n = 0;
    const d = loadDemoConfig({ env: { SHINEGOLD_JWT_SECRET: SECRET }, origins: DEFAULT_ORIGINS, path: file, randomSecret: () => `${++n}`.repeat(40) });
    expect(d.generated).toEqual({ PARTNER_CO_JWT_SECRET: '1'.repeat(40), OTHER_JWT_SECRET: '2'.repeat(40) });
    expect(d.config.providers.map((p) => [p.name, p.envPrefix, p.keys.kind])).toEqual([
      ['shinegold', 'SHINEGOLD', 'secret'],
      ['partner-co', 'PARTNER_CO', 'secret'],
      ['third', 'OTHER', 'secret'],
    ]);
    expect(d.signer.provider.name).toBe('shinegold');
    expect(d.signer.secret).toBe(SECRET);
  });
});

describe('loadDemoConfig', () => {
  it('reads the demo file by default, with a random secret when none is given', () => {
    const d = loadDemoConfig({ env: {}, origins: DEFAULT_ORIGINS, randomSecret: () => 'r'.repeat(64) });
    expect(d.path).toBe(DEMO_CONFIG_FILE);
    expect(d.inForcePath).toBe(DEMO_CONFIG_FILE);
    expect(d.replaced).toEqual([]);
    expect(d.generated).toEqual({ SHINEGOLD_JWT_SECRET: 'r'.repeat(64) });
    expect(d.env.SHINEGOLD_JWT_SECRET).toBe('r'.repeat(64));
    expect([d.signer.provider.issuer, d.signer.provider.audience, d.signer.secret]).toEqual(['http://shinegold.localhost', 'chat.shinegold.localhost', 'r'.repeat(64)]);
  });

  it('reads CONFIG_PATH relative to the working directory, and a key from the environment', () => {
    const file = tmpFile(readFileSync(EXAMPLE, 'utf8'));
    const d = loadDemoConfig({ env: { CONFIG_PATH: 'librechat.yaml', SHINEGOLD_JWT_SECRET: SECRET }, cwd: path.dirname(file), origins: DEFAULT_ORIGINS });
    expect(d.path).toBe(file);
    expect(d.generated).toEqual({});
    expect([d.signer.provider.issuer, d.signer.provider.audience, d.signer.secret]).toEqual(['https://shinegold.com', 'chat.shinegold.com', SECRET]);
    // The example names shinegold.com's URLs: the demo serves its own, and says which it changed.
    expect(d.replaced).toEqual(['session.chatOrigin', 'session.loginUrl', 'session.logoutUrl', 'session.allowedReturnHosts']);
    expect(d.inForcePath).toBeUndefined(); // no runDir: nothing written
  });

  it('writes the section in force for the tools when it changed the session URLs', () => {
    const runDir = mkdtempSync(path.join(tmpdir(), 'sg-run-'));
    const origins = { main: 'http://shinegold.localhost:4000', chat: 'http://chat.shinegold.localhost:4080' };
    const d = loadDemoConfig({ env: { SHINEGOLD_JWT_SECRET: SECRET }, origins, runDir: () => runDir });
    expect(d.inForcePath).toBe(path.join(runDir, 'librechat.yaml'));
    const again = loadConfig(readSection(d.inForcePath!), { env: { SHINEGOLD_JWT_SECRET: SECRET } });
    expect(again.session).toEqual(d.config.session);
    expect(again.session.chatOrigin).toBe('http://chat.shinegold.localhost:4080');
    expect(again.providers.map((p) => [p.issuer, p.audience])).toEqual([['http://shinegold.localhost', 'chat.shinegold.localhost']]);
  });

  it('lists every problem of a broken section', () => {
    const file = tmpFile('shinegold:\n  providers:\n    - { name: shinegold }\n');
    expect(() => loadDemoConfig({ env: { SHINEGOLD_JWT_SECRET: SECRET }, origins: DEFAULT_ORIGINS, path: file })).toThrow(
      expect.objectContaining({ problems: expect.arrayContaining([expect.stringContaining('shinegold.providers[0] has no issuer')]) }),
    );
  });

  it('says when the file has no shinegold: section', () => {
    const file = tmpFile('version: 1.3.0\n');
    expect(() => loadDemoConfig({ env: {}, origins: DEFAULT_ORIGINS, path: file })).toThrow(
      `${file} has no shinegold: section: point CONFIG_PATH at a librechat.yaml that has one.`,
    );
  });
});

describe('signingProvider: the main site signs for the configured provider', () => {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const section = (extra: object = {}) => ({ providers: [{ name: 'shinegold', issuer: 'https://a.test', audience: 'chat.a.test', ...extra }], session: { chatOrigin: DEFAULT_ORIGINS.chat, loginUrl: 'http://x.test/login', logoutUrl: 'http://x.test/logout' } });

  it('refuses a public-key provider in one sentence naming the way out', () => {
    const config = loadConfig(section(), { env: { SHINEGOLD_JWT_PUBLIC_KEY: pem } });
    expect(() => signingProvider(config)).toThrow(
      "provider shinegold verifies with SHINEGOLD_JWT_PUBLIC_KEY, and the demo's main site can sign only with a shared secret: unset SHINEGOLD_JWT_PUBLIC_KEY and set SHINEGOLD_JWT_SECRET (or leave it out for a random one).",
    );
  });

  it('refuses a provider that does not allow HS256', () => {
    const config = loadConfig(section({ algorithms: ['HS512'] }), { env: { SHINEGOLD_JWT_SECRET: SECRET } });
    expect(() => signingProvider(config)).toThrow("provider shinegold does not allow HS256, which the demo's main site signs with: add HS256 to its algorithms.");
  });

  it('skips an inactive provider', () => {
    const config = loadConfig(
      { ...section(), providers: [{ name: 'old', isActive: false, issuer: 'https://old.test', audience: 'c' }, { name: 'shinegold', issuer: 'https://a.test', audience: 'chat.a.test' }] },
      { env: { OLD_JWT_SECRET: 'o'.repeat(32), SHINEGOLD_JWT_SECRET: SECRET } },
    );
    expect(signingProvider(config).provider.name).toBe('shinegold');
    expect(() => signingProvider(config, 'old')).toThrow('no active provider named old in the configuration: name one it has.');
  });
});
