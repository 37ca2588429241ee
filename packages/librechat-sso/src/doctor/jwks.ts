import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import type { ProviderConfig } from '../config/schema';
import { ASYMMETRIC_ALGS } from '../config/schema';
import { algorithmsForPublicKey } from '../config/keys';
import { redactText, redactUri } from '../redact';
import { errorReason, fail, Finding, isLocalHost, ok, warn } from './finding';
import { checkPublicKey } from './keys';

/** Private JWK members (RFC 7518 §6.2.2, §6.3.2, §6.4): none may appear in a published set. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * The request the verifier makes: jose fetches with node's http(s).get, which turns userinfo in
 * the URI into Basic authentication. fetch refuses a URL with credentials (and names the URL
 * in its error), so they move into the header here.
 */
function jwksRequest(uri: string): { url: string; headers: Record<string, string> } {
  const u = new URL(uri);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (u.username || u.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  return { url: u.href, headers };
}

/**
 * Fetches a provider's JWKS once, as the verifier would (same URI, same timeout), and checks
 * what the verifier relies on: it answers, it holds keys, each key has a unique `kid` (so a
 * rotation can be told apart), no secret or private key is published, and the keys cover the
 * provider's algorithm allowlist.
 */
export async function checkJwks(provider: ProviderConfig, fetchImpl: typeof fetch = fetch): Promise<Finding[]> {
  if (provider.keys.kind !== 'jwks') return [];
  const { timeoutMs } = provider.keys;
  // Every sentence names the URI without its credentials (userinfo, query values).
  const uri = redactUri(provider.keys.uri);
  const id = `keys.${provider.name}.jwks`;
  const out: Finding[] = [];
  const u = new URL(provider.keys.uri);
  if (u.protocol === 'http:' && !isLocalHost(u.hostname)) {
    out.push(warn(`${id}.https`, `The JWKS ${uri} is fetched over plain http: whoever controls the network path can substitute keys.`, 'Serve the JWKS over https and drop insecureAllowHttpJwks.'));
  }
  let body: unknown;
  const started = Date.now();
  try {
    const req = jwksRequest(provider.keys.uri);
    const res = await fetchImpl(req.url, { signal: AbortSignal.timeout(timeoutMs), headers: req.headers, redirect: 'error' });
    if (res.status !== 200) {
      out.push(fail(`${id}.reachable`, `The JWKS ${uri} answered HTTP ${res.status}.`, 'Check the URL (SHINEGOLD_JWKS_URI) and that the main site publishes its JWKS there without authentication.'));
      return out;
    }
    const text = await res.text();
    try {
      body = JSON.parse(text);
    } catch {
      out.push(fail(`${id}.reachable`, `The JWKS ${uri} did not answer JSON.`, 'Point SHINEGOLD_JWKS_URI at the JSON key set itself (often /.well-known/jwks.json), not at a web page.'));
      return out;
    }
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError';
    out.push(
      fail(`${id}.reachable`, timedOut ? `The JWKS ${uri} did not answer within ${timeoutMs} ms.` : `The JWKS ${uri} cannot be fetched (${redactText(errorReason(e))}).`,
        'Check the URL, DNS and firewall from the chat host (the chat server must reach the main site); raise providers[].jwks.timeoutMs only for a slow network.'),
    );
    return out;
  }
  const keys = (body as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    out.push(fail(`${id}.keys`, `The JWKS ${uri} holds no keys.`, 'Publish the main site\'s signing public key in the set ({"keys": [ ... ]}).'));
    return out;
  }
  out.push(ok(`${id}.reachable`, `The JWKS ${uri} answered in ${Date.now() - started} ms with ${keys.length} key(s).`));

  const seen = new Map<string, number>();
  let usable = 0;
  const covered = new Set<string>();
  keys.forEach((raw, i) => {
    const jwk = (raw ?? {}) as JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown };
    const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : undefined;
    const label = kid ? `JWKS key "${kid}"` : `JWKS key #${i + 1}`;
    if (jwk.kty === 'oct') {
      out.push(fail(`${id}.symmetric`, `${label} is a symmetric (oct) key: the secret is public to anyone who fetches the set.`, 'Remove it from the published set at once and rotate that secret; a JWKS must hold public keys only.'));
      return;
    }
    const leaked = PRIVATE_MEMBERS.filter((m) => (jwk as Record<string, unknown>)[m] !== undefined);
    if (leaked.length) {
      out.push(fail(`${id}.private`, `${label} includes private key members (${leaked.join(', ')}).`, 'Publish the public part only and rotate this key: its private half is exposed.'));
      return;
    }
    if (!kid) {
      out.push(warn(`${id}.kid`, `${label} has no kid.`, 'Give every key a kid and sign tokens with it in the header, so a rotation can run with two keys side by side.'));
    } else {
      seen.set(kid, (seen.get(kid) ?? 0) + 1);
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') {
      out.push(warn(`${id}.use`, `${label} is marked use "${String(jwk.use)}"; it is never used to verify tokens.`, 'Mark signing keys use "sig" (or leave use out).'));
      return;
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch (e) {
      out.push(fail(`${id}.parse`, `${label} is not a valid public key (${(e as Error).message}).`, 'Publish the key as the main site\'s JWT library exports it (kty, n/e or crv/x/y).'));
      return;
    }
    const typeAlgs = algorithmsForPublicKey(key);
    if (typeof jwk.alg === 'string') {
      if (!typeAlgs.includes(jwk.alg)) {
        out.push(fail(`${id}.alg`, `${label} says alg ${jwk.alg}, which a key of its type cannot use (${typeAlgs.join(', ')}).`, 'Correct the alg member of the key in the published set.'));
        return;
      }
      if (!provider.algorithms.includes(jwk.alg)) {
        out.push(warn(`${id}.alg`, `${label} is for ${jwk.alg}, which provider ${provider.name} does not allow (${provider.algorithms.join(', ')}); tokens signed with it are refused.`, `Add ${jwk.alg} to providers[${provider.name}].algorithms, or stop publishing this key.`));
        return;
      }
    }
    const found = checkPublicKey(provider, key, label, `${id}.key`);
    out.push(...found);
    if (found.every((f) => f.status === 'ok')) {
      usable++;
      for (const a of typeof jwk.alg === 'string' ? [jwk.alg] : typeAlgs) if (provider.algorithms.includes(a)) covered.add(a);
    }
  });
  for (const [kid, n] of seen) {
    if (n > 1) out.push(fail(`${id}.kid`, `${n} keys in the JWKS share kid "${kid}".`, 'Give each key its own kid; during a rotation the old and the new key must be told apart.'));
  }
  if (usable === 0) {
    out.push(fail(`${id}.usable`, `No key in the JWKS can verify a token provider ${provider.name} accepts.`, `Publish the main site's signing public key, and list its algorithm in providers[${provider.name}].algorithms.`));
  } else if (provider.algorithms.length === ASYMMETRIC_ALGS.length) {
    out.push(
      warn(`${id}.allowlist`, `Provider ${provider.name} allows every asymmetric algorithm; the JWKS only needs ${[...covered].join(', ')}.`,
        `Set providers[${provider.name}].algorithms: [${[...covered].join(', ')}] so a token can never pick an algorithm the main site does not use.`),
    );
  }
  return out;
}
