import { timingSafeEqual } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { ShinegoldSSO } from '../index';

/**
 * `GET /api/auth/sso/metrics`: Prometheus text of the add-on's own registry. Not public by
 * default: without SHINEGOLD_METRICS_TOKEN it answers 404; with it, only
 * `Authorization: Bearer <that token>` gets the metrics.
 */
export function createMetricsRouter(sso: ShinegoldSSO, env: Record<string, string | undefined> = process.env): Router {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const router: Router = express.Router();
  const secret = env.SHINEGOLD_METRICS_TOKEN ? Buffer.from(env.SHINEGOLD_METRICS_TOKEN) : undefined;
  router.get('/sso/metrics', async (req: Request, res: Response) => {
    if (!secret) return res.sendStatus(404);
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
    if (given.length !== secret.length || !timingSafeEqual(given, secret)) return res.sendStatus(401);
    res.set('Content-Type', sso.metrics.registry.contentType);
    res.set('Cache-Control', 'no-store');
    return res.send(await sso.metrics.registry.metrics());
  });
  return router;
}
