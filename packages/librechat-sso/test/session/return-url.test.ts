import { loginRedirect, safeReturnUrl } from '../../src/session/return-url';

const hosts = ['chat.shinegold.com'];
const origin = 'https://chat.shinegold.com';
const check = (raw: string) => safeReturnUrl(raw, hosts, origin);

describe('return URL allowlist', () => {
  it.each([
    ['/c/new', 'https://chat.shinegold.com/c/new'],
    ['/c/abc?x=1#m', 'https://chat.shinegold.com/c/abc?x=1#m'],
    ['https://chat.shinegold.com/c/new', 'https://chat.shinegold.com/c/new'],
    ['https://CHAT.shinegold.com/c/new', 'https://chat.shinegold.com/c/new'],
    ['%2Fc%2Fnew', 'https://chat.shinegold.com/c/new'],
  ])('accepts %s', (raw, expected) => {
    expect(check(raw)).toBe(expected);
  });

  it.each([
    '//evil.com',
    '\\\\evil.com',
    '/\\evil.com',
    '/%5Cevil.com',
    '%2F%2Fevil.com',
    '%252F%252Fevil.com',
    'https://shinegold.com.evil.com/',
    'https://evil.com/chat.shinegold.com',
    'https://chat.shinegold.com.evil.com/',
    'https://chat.shinegold.com@evil.com/',
    'https://user:pw@chat.shinegold.com/',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'javascript%3Aalert(1)',
    'data:text/html,<script>1</script>',
    'http://chat.shinegold.com/',
    '/c/new\r\nSet-Cookie: x=1',
    '/%0d%0aSet-Cookie:x',
    '',
    'not a url',
  ])('refuses %s', (raw) => {
    expect(check(raw)).toBeUndefined();
  });

  it('builds the main-site login URL with the checked return URL, falling back to the chat root', () => {
    expect(loginRedirect('https://shinegold.com/login', 'return_to', '/c/42', hosts, origin)).toBe(
      'https://shinegold.com/login?return_to=https%3A%2F%2Fchat.shinegold.com%2Fc%2F42',
    );
    expect(loginRedirect('https://shinegold.com/login', 'return_to', '//evil.com', hosts, origin)).toBe(
      'https://shinegold.com/login?return_to=https%3A%2F%2Fchat.shinegold.com%2F',
    );
  });
});
