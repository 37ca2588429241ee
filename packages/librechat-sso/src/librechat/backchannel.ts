import type { Request, Response, Router } from 'express';
import { withDeadline } from '../deadline';
import { createBackchannel } from '../session/backchannel';
import type { ShinegoldSSO } from '../index';

/**
 * `POST /api/auth/sso/backchannel-logout` (mounted under LibreChat's /api/auth): form field
 * `logout_token`; answers 200 or 400 (503 if the database is down), always `no-store`.
 */
export function createBackchannelRouter(sso: ShinegoldSSO): Router {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const backchannel = createBackchannel({ verifier: sso.verifier, store: sso.store, audit: sso.audit, clock: sso.clock });
  const router: Router = express.Router();
  router.post('/sso/backchannel-logout', express.urlencoded({ extended: false, limit: '16kb' }), async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    const result = await withDeadline(backchannel.handle(req.body?.logout_token)).catch((e: { code?: string }) => ({ status: 503 as const, code: e?.code ?? 'SG_DB_UNAVAILABLE' }));
    if (result.status === 503) res.set('Retry-After', '5');
    sso.metrics.logouts.inc({ direction: 'backchannel', outcome: result.status === 200 ? 'accepted' : 'refused' });
    if (result.status === 200) return res.status(200).end();
    return res.status(result.status).json({ error: result.status === 400 ? 'invalid_request' : 'temporarily_unavailable', code: result.code });
  });
  return router;
}
