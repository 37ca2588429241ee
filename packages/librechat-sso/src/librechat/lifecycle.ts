import type { Request, Response, Router } from 'express';
import { withDeadline } from '../deadline';
import { createLifecycle, LifecycleAnswer } from '../lifecycle/handle';
import type { ShinegoldSSO } from '../index';

/**
 * `POST /api/auth/sso/lifecycle` (mounted under LibreChat's /api/auth): the main site's signed
 * `lifecycle_token`, as a form field or in a JSON body. Answers JSON, always `no-store`:
 * 200 `{ ok, event, result, changed }`, 400/409/503 `{ ok: false, error, code }`.
 */
export function createLifecycleRouter(sso: ShinegoldSSO): Router {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const lifecycle = createLifecycle({
    config: sso.config,
    verifier: sso.verifier,
    store: sso.store,
    provisioner: sso.provisioner,
    audit: sso.audit,
    clock: sso.clock,
    credits: sso.credits,
  });
  const router: Router = express.Router();
  // A body that cannot be parsed is a bad call like any other: 400 JSON, no-store, counted.
  // The parsers skip a body LibreChat's app-level parsers already read.
  const parse = (parser: Function) => (req: Request, res: Response, next: (err?: unknown) => void) =>
    parser(req, res, (err?: unknown) => {
      if (!err) return next();
      sso.metrics.lifecycle.inc({ event: 'unknown', outcome: 'refused' });
      sso.audit({ event: 'lifecycle.refused', outcome: 'failure', code: 'SG_LIFECYCLE_TOKEN_INVALID', detail: { reason: 'unreadable body' } });
      return res.status(400).set('Cache-Control', 'no-store').json({ ok: false, error: 'invalid_request', code: 'SG_LIFECYCLE_TOKEN_INVALID' });
    });
  router.post(
    '/sso/lifecycle',
    parse(express.urlencoded({ extended: false, limit: '32kb' })),
    parse(express.json({ limit: '32kb' })),
    async (req: Request, res: Response) => {
      res.set('Cache-Control', 'no-store');
      const answer = await withDeadline(lifecycle.handle(req.body?.lifecycle_token)).catch(
        (e: { code?: string }): LifecycleAnswer => ({ status: 503, body: { ok: false, error: 'temporarily_unavailable', code: e?.code ?? 'SG_DB_UNAVAILABLE' }, metric: { event: 'unknown', outcome: 'error' } }),
      );
      if (answer.status === 503) res.set('Retry-After', '5');
      sso.metrics.lifecycle.inc(answer.metric);
      return res.status(answer.status).json(answer.body);
    },
  );
  return router;
}
