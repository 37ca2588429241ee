import { createHash } from 'node:crypto';
import {
  REFUSAL_FALLBACK,
  REFUSAL_PAGE_CSP,
  REFUSAL_TEXTS,
  refusalTexts,
  renderRefusalPage,
  RefusalPageInput,
  safeHref,
} from '../../src/librechat/refusal-page';

const base: RefusalPageInput = {
  deploymentName: 'shinegold Chat',
  ...REFUSAL_TEXTS.SG_ROLE_REQUIRED,
  mainSiteUrl: 'https://shinegold.com/',
  code: 'SG_ROLE_REQUIRED',
};

describe('REFUSAL_TEXTS: each refusal a person can act on, in plain words', () => {
  it.each([
    ['SG_ROLE_REQUIRED', 'Chat is not open to your account',
      'You are signed in to shinegold.com, but your account does not have the access this chat requires.',
      'Ask your shinegold.com administrator to give your account access to chat, then open chat again.'],
    ['SG_USER_BANNED', 'Your access to chat is suspended',
      'Your shinegold.com account has been blocked from using this chat.',
      'If you think this is a mistake, contact shinegold.com support.'],
    ['SG_USER_DISABLED', 'Your chat account is closed',
      'The chat account that belonged to your shinegold.com account has been closed.',
      'Contact shinegold.com support if you need to use chat again.'],
    ['SG_ACCOUNT_LINKED_ELSEWHERE', 'Your email address is used by another account',
      'A chat account with your email address belongs to a different shinegold.com account.',
      'Sign in to shinegold.com with the account you use for chat, or ask support to sort out the two accounts.'],
    ['SG_LINK_REFUSED', 'Your existing chat account could not be connected',
      'A chat account with your email address already exists, and it cannot be joined to your shinegold.com account automatically.',
      'Confirm your email address on shinegold.com and try again, or ask your administrator to connect the two accounts.'],
    ['SG_EMAIL_MISSING', 'Your account needs an email address',
      'Chat needs an email address to set up your account, and your shinegold.com account does not have one it can use.',
      'Add or confirm an email address in your shinegold.com profile, then open chat again.'],
    ['SG_TOKEN_DUPLICATE_COOKIE', 'Your browser holds two sign-ins',
      'Your browser sent two different shinegold.com sign-ins for this site, so chat cannot tell which one is you. This page has removed both from this browser.',
      'Sign out of shinegold.com and sign in again, then open chat.'],
    ['SG_TOKEN_LOGGED_OUT', 'You were signed out',
      'You signed out of shinegold.com everywhere a moment ago, so this sign-in no longer counts.',
      'Sign in to shinegold.com again, then open chat.'],
    ['SG_MFA_REQUIRED', 'The admin area needs your second sign-in step',
      "Chat's admin area opens only after you have confirmed your shinegold.com sign-in with your second step, such as a code from your phone.",
      'Sign out of shinegold.com, sign in again with your second step, then come back to chat.'],
    ['SG_BOUNCE_LIMIT', 'We could not sign you in',
      'shinegold.com sent you back to chat several times without a sign-in that chat could use.',
      'Sign in on shinegold.com, then open chat again. If this keeps happening, contact support.'],
  ])('%s', (code, heading, sentence, whatToDo) => {
    expect(REFUSAL_TEXTS[code as keyof typeof REFUSAL_TEXTS]).toEqual({ heading, sentence, whatToDo });
    expect(refusalTexts(code)).toBe(REFUSAL_TEXTS[code as keyof typeof REFUSAL_TEXTS]);
  });

  it('has exactly these codes', () => {
    expect(Object.keys(REFUSAL_TEXTS)).toEqual([
      'SG_ROLE_REQUIRED', 'SG_USER_BANNED', 'SG_USER_DISABLED', 'SG_ACCOUNT_LINKED_ELSEWHERE', 'SG_LINK_REFUSED',
      'SG_EMAIL_MISSING', 'SG_TOKEN_DUPLICATE_COOKIE', 'SG_TOKEN_LOGGED_OUT', 'SG_MFA_REQUIRED', 'SG_BOUNCE_LIMIT',
    ]);
  });

  it('falls back to a generic text for any other code', () => {
    expect(REFUSAL_FALLBACK).toEqual({
      heading: 'We could not sign you in',
      sentence: 'Something went wrong while chat was checking your shinegold.com sign-in.',
      whatToDo: 'Try again in a moment. If it keeps happening, contact support and mention the reference below.',
    });
    expect(refusalTexts('SG_TOKEN_BAD_SIGNATURE')).toBe(REFUSAL_FALLBACK);
    expect(refusalTexts('toString')).toBe(REFUSAL_FALLBACK);
  });

  it('speaks without jargon', () => {
    const all = [...Object.values(REFUSAL_TEXTS), REFUSAL_FALLBACK].flatMap((t) => [t.heading, t.sentence, t.whatToDo]);
    expect(all.filter((s) => /token|jwt|cookie|sso|oauth|openid|claim|provider|issuer|SG_|session|mfa|\b403\b|\b401\b/i.test(s))).toEqual([]);
  });
});

describe('renderRefusalPage', () => {
  it('shows the deployment, what happened, what to do, the way back and the code', () => {
    const html = renderRefusalPage({ ...base, helpUrl: 'https://shinegold.com/help', retryUrl: '/oauth/openid' });
    expect(html).toContain('<title>Chat is not open to your account · shinegold Chat</title>');
    expect(html).toContain('<span>shinegold Chat</span>');
    expect(html).toContain('<h1>Chat is not open to your account</h1>');
    expect(html).toContain('<p class="what">You are signed in to shinegold.com, but your account does not have the access this chat requires.</p>');
    expect(html).toContain('<div class="todo"><b>What you can do</b>Ask your shinegold.com administrator to give your account access to chat, then open chat again.</div>');
    expect(html).toContain(
      '<div class="actions"><a class="btn primary" href="https://shinegold.com/">Go to shinegold.com</a><a class="btn ghost" href="/oauth/openid">Try again</a><a class="btn ghost" href="https://shinegold.com/help">Get help</a></div>',
    );
    expect(html).toContain('<p class="ref">Reference for support: <code>SG_ROLE_REQUIRED</code></p>');
    expect(html).toContain('<html lang="en">');
  });

  it('leaves out the help and try-again links unless given', () => {
    const html = renderRefusalPage(base);
    expect(html).toContain('<div class="actions"><a class="btn primary" href="https://shinegold.com/">Go to shinegold.com</a></div>');
    expect(html).not.toContain('Try again');
    expect(html).not.toContain('Get help');
  });

  it('escapes every value', () => {
    const html = renderRefusalPage({
      deploymentName: '<script>alert(1)</script>',
      heading: 'A <b>heading</b> "quoted"',
      sentence: "It's <i>fine</i> & safe",
      whatToDo: '<img src=x onerror=alert(2)>',
      mainSiteUrl: 'https://shinegold.com/?a=1&b="<x>"',
      helpUrl: "https://help.example/it's",
      code: 'SG_<CODE>',
      lang: 'en"><script>',
    });
    expect(html).toContain('<span>&#60;script&#62;alert(1)&#60;/script&#62;</span>');
    expect(html).toContain('<h1>A &#60;b&#62;heading&#60;/b&#62; &#34;quoted&#34;</h1>');
    expect(html).toContain('<p class="what">It&#39;s &#60;i&#62;fine&#60;/i&#62; &#38; safe</p>');
    expect(html).toContain('<b>What you can do</b>&#60;img src=x onerror=alert(2)&#62;</div>');
    expect(html).toContain('href="https://shinegold.com/?a=1&#38;b=%22%3Cx%3E%22"');
    expect(html).toContain('href="https://help.example/it&#39;s"');
    expect(html).toContain('<code>SG_&#60;CODE&#62;</code>');
    expect(html).toContain('<html lang="en">');
    expect(html).not.toMatch(/<script|<img|onerror=alert\(2\)>/i);
  });

  it('links only to http(s) URLs and same-origin paths', () => {
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('data:text/html,<b>x</b>')).toBeUndefined();
    expect(safeHref('//evil.example/')).toBeUndefined();
    expect(safeHref('/\\evil.example/')).toBeUndefined();
    expect(safeHref('not a url')).toBeUndefined();
    expect(safeHref('')).toBeUndefined();
    expect(safeHref('/oauth/openid?x=1')).toBe('/oauth/openid?x=1');
    expect(safeHref('http://shinegold.localhost:3000')).toBe('http://shinegold.localhost:3000/');
    const html = renderRefusalPage({ ...base, mainSiteUrl: 'javascript:alert(1)', retryUrl: 'JavaScript:alert(2)' });
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toContain('class="actions"');
  });

  it('has no script and fetches nothing: its one stylesheet is inline and allowed by its hash', () => {
    const html = renderRefusalPage({ ...base, helpUrl: 'https://shinegold.com/help' });
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=/i);
    const css = /<style>([\s\S]*)<\/style>/.exec(html)![1];
    const hash = createHash('sha256').update(css).digest('base64');
    expect(REFUSAL_PAGE_CSP).toBe(`default-src 'none'; style-src 'sha256-${hash}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-${hash}&#39;; img-src &#39;none&#39;; base-uri &#39;none&#39;; form-action &#39;none&#39;">`);
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(html).not.toMatch(/ style="/);
  });

  it('is made for a phone too', () => {
    const html = renderRefusalPage(base);
    expect(html).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
    expect(html).toContain('@media (max-width:520px)');
  });

  it('takes the language given, if it is a language tag', () => {
    expect(renderRefusalPage({ ...base, lang: 'de-CH' })).toContain('<html lang="de-CH">');
    expect(renderRefusalPage({ ...base, lang: 'x' })).toContain('<html lang="en">');
  });
});
