import type { ShinegoldConfig } from '../config/schema';
import { errorReason, fail, Finding, ok, warn } from './finding';

export interface EndpointCheckInput {
  /** The chat's origin as the main site reaches it (`https://chat.shinegold.com`). */
  chatUrl: string;
  config?: ShinegoldConfig;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** Endpoints the main site calls with a signed token; without one each must refuse with 400. */
const SIGNED_ENDPOINTS = [
  { id: 'endpoints.backchannel', path: '/api/auth/sso/backchannel-logout', what: 'back-channel logout' },
  { id: 'endpoints.lifecycle', path: '/api/auth/sso/lifecycle', what: 'lifecycle sync endpoint' },
  { id: 'endpoints.usage', path: '/api/auth/sso/usage', what: 'usage endpoint' },
];

const NOT_MOUNTED =
  'Apply patches/<version>/auth-routes.patch, install @shinegold/librechat-sso in LibreChat, make sure LibreChat reads the librechat.yaml with the shinegold: section (CONFIG_PATH), and restart it.';

/**
 * The add-on's routes answer from outside, through whatever proxy is in front: the back-channel
 * logout, the lifecycle sync and the usage endpoint refuse a call without a token with 400 and no-store (a 404 means
 * the routes are not mounted; a cached answer could be served again), and the login entry
 * redirects to the configured main-site login page. Nothing here changes state: no token is
 * sent (the refusals do appear in the audit log as refused calls).
 */
export async function checkEndpoints({ chatUrl, config, timeoutMs = 5000, fetchImpl = fetch }: EndpointCheckInput): Promise<Finding[]> {
  let base: URL;
  try {
    base = new URL(chatUrl);
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error('scheme');
  } catch {
    return [fail('endpoints.url', `--chat-url ${JSON.stringify(chatUrl)} is not an http(s) origin.`, 'Pass the chat origin, e.g. --chat-url https://chat.shinegold.com.')];
  }
  const origin = base.origin;
  const call = async (path: string, init: RequestInit) => {
    try {
      return await fetchImpl(`${origin}${path}`, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const timedOut = (e as Error).name === 'TimeoutError';
      return timedOut ? `did not answer within ${timeoutMs} ms` : `cannot be reached (${errorReason(e)})`;
    }
  };
  const unreachable = (id: string, path: string, why: string) =>
    fail(id, `${origin}${path} ${why}.`, 'Check that LibreChat runs and that --chat-url is the address the main site uses for chat (DNS, proxy, firewall).');
  const out: Finding[] = [];

  for (const ep of SIGNED_ENDPOINTS) {
    const r = await call(ep.path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    if (typeof r === 'string') {
      out.push(unreachable(ep.id, ep.path, r));
      continue;
    }
    const body = await r.text();
    const noStore = /no-store/i.test(r.headers.get('cache-control') ?? '');
    // The add-on's refusals name their SG_* code; a proxy's or LibreChat's own 400 does not.
    const code = /"code"\s*:\s*"(SG_[A-Z_]+)"/.exec(body)?.[1];
    if (r.status === 404) out.push(fail(ep.id, `POST ${ep.path} answered 404: the ${ep.what} is not mounted.`, NOT_MOUNTED));
    else if (r.status === 503) out.push(fail(ep.id, `POST ${ep.path} answered 503: chat cannot use its database.`, 'Check LibreChat\'s MONGO_URI and its log.'));
    else if (r.status !== 400) out.push(fail(ep.id, `POST ${ep.path} without a token answered ${r.status}, not 400.`, `Something in front of LibreChat answers for this path; let the proxy pass ${ep.path} through unchanged.`));
    else if (!noStore) out.push(fail(ep.id, `POST ${ep.path} answered 400 without Cache-Control: no-store.`, 'A proxy rewrites Cache-Control; leave the headers of /api/auth/ answers unchanged (see deploy/nginx).'));
    else if (!code) out.push(warn(ep.id, `POST ${ep.path} answered 400 with no-store, but without an SG_* code: the answer may not come from the add-on.`, 'Check that the proxy passes the path to LibreChat and that no proxy rule answers it.'));
    else out.push(ok(ep.id, `POST ${ep.path} without a token answers 400 (${code}) with no-store.`));
  }

  const entry = '/api/auth/sso/login';
  const r2 = await call(entry, { method: 'GET' });
  if (typeof r2 === 'string') out.push(unreachable('endpoints.login', entry, r2));
  else {
    await r2.arrayBuffer().catch(() => undefined);
    const location = r2.headers.get('location');
    if (r2.status === 404) out.push(fail('endpoints.login', `GET ${entry} answered 404: the login entry is not mounted.`, NOT_MOUNTED));
    else if (r2.status < 300 || r2.status > 399 || !location) {
      out.push(fail('endpoints.login', `GET ${entry} answered ${r2.status} instead of a redirect to the main-site login.`, r2.status === 200 ? `The SPA answered: the add-on's routes are not mounted. ${NOT_MOUNTED}` : NOT_MOUNTED));
    } else {
      const target = new URL(location, origin);
      const expected = config ? new URL(config.session.loginUrl) : undefined;
      if (expected && (target.origin !== expected.origin || target.pathname !== expected.pathname)) {
        out.push(
          fail('endpoints.login', `GET ${entry} redirects to ${target.origin}${target.pathname}, but session.loginUrl is ${expected.origin}${expected.pathname}.`,
            'The running LibreChat reads another configuration than this doctor: point both at the same librechat.yaml (CONFIG_PATH) and environment, and restart LibreChat.'),
        );
      } else {
        out.push(ok('endpoints.login', `GET ${entry} redirects (${r2.status}) to ${target.origin}${target.pathname}${expected ? ', the configured login page' : ''}.`));
      }
    }
  }
  return out;
}
