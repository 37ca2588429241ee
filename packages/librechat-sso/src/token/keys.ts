import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, JWSHeaderParameters, FlattenedJWSInput } from 'jose';
import { SsoRefusal, SsoUnavailable } from '../errors';
import { KeySource } from '../config/schema';
import { redactText, redactUri } from '../redact';

/**
 * One interface over every key source (Grafana's key_sets, jose's local/remote JWKS):
 * `candidates(header)` returns the keys worth trying for this token header, in order.
 *
 * - Static secrets and PEM keys: all of them (rotation keeps an old and a new key side by
 *   side; tokens rarely carry a kid for them).
 * - Remote JWKS: the key jose selects by kid/alg, refetching the set at most once per
 *   cooldown when the kid is unknown (a rotation on the main site), cached for cacheMaxAge.
 *
 * Keys named by the token itself (`jku`, `x5u`, embedded `jwk`, `x5c`) are never used: a
 * token must not choose the key that verifies it.
 */
export interface KeySet {
  readonly kind: KeySource['kind'];
  candidates(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyObject[]>;
}

export function createKeySet(source: KeySource): KeySet {
  switch (source.kind) {
    case 'secret': {
      const keys = source.secrets.map((s) => createSecretKey(s));
      return { kind: 'secret', candidates: async () => keys };
    }
    case 'pem': {
      const keys = source.pems.map((p) => createPublicKey(p));
      return { kind: 'pem', candidates: async () => keys };
    }
    case 'jwks': {
      const remote = createRemoteJWKSet(new URL(source.uri), {
        cacheMaxAge: source.cacheMaxAgeMs,
        cooldownDuration: source.cooldownMs,
        timeoutDuration: source.timeoutMs,
      });
      return {
        kind: 'jwks',
        async candidates(header, token) {
          try {
            const key = await remote(header, token);
            return [key as KeyObject];
          } catch (e) {
            if (e instanceof joseErrors.JWKSMultipleMatchingKeys) {
              const keys: KeyObject[] = [];
              for await (const k of e as unknown as AsyncIterable<KeyObject>) keys.push(k);
              return keys;
            }
            if (e instanceof joseErrors.JWKSNoMatchingKey) {
              throw new SsoRefusal('SG_TOKEN_UNKNOWN_KID', { kid: typeof header.kid === 'string' ? header.kid : undefined });
            }
            // Timeout, network error, a non-JSON or invalid JWKS answer: the key server is broken.
            // The detail reaches audit lines and LibreChat's error log: the URI without its
            // credentials (an operator may put userinfo or a token in the query).
            throw new SsoUnavailable('SG_KEYS_UNAVAILABLE', e, { uri: redactUri(source.uri), reason: redactText(String((e as Error)?.message)) });
          }
        },
      };
    }
  }
}
