/**
 * POST /v1/feedback and GET /v1/router (issue 15): a site's browsers send what happened after answers
 * (FeedbackRecord batches from src/router/feedback.ts: features, scores, tier, outcome; never text), the
 * gateway keeps them per site in its shared store and learns the site's online router from them
 * (feedback-learner.ts); browsers read the learned router back to start from it. Both routes sit behind
 * the same CORS, body limit, authentication and rate limits as chat (app.ts mounts them with chat's
 * middleware). The site is the principal's: a site token's site, `user:<id>` for a user token without a
 * site, `local` with no sites configured. Docs: docs/gateway.md (Feedback).
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { InvalidInputError, PayloadTooLargeError } from '../errors.ts';
import { MAX_FEEDBACK_BATCH, parseFeedbackBatch } from '../router/learning.ts';
import {
  createFeedbackLearner,
  type FeedbackLearningOptions,
  type SiteRouterView,
} from './feedback-learner.ts';
import type { GatewayEnv } from './principal.ts';
import type { GatewayStore } from './stores/types.ts';

export interface FeedbackRoutesOptions extends FeedbackLearningOptions {
  store: GatewayStore;
  /** Chat's middleware, in order: who is asking, then the rate limits. */
  guards: readonly [MiddlewareHandler<GatewayEnv>, MiddlewareHandler<GatewayEnv>];
}

const BODY_HINT = `{"records": [FeedbackRecord, ...]} with 1 to ${MAX_FEEDBACK_BATCH} records (see docs/gateway.md)`;

/** The body as a batch of validated records; nothing is stored unless every record is valid. */
async function readBatch(c: Context<GatewayEnv>): Promise<unknown[]> {
  const raw: unknown = await c.req.json().catch(() => {
    throw new InvalidInputError(`The body must be JSON: ${BODY_HINT}.`);
  });
  const records =
    typeof raw === 'object' && raw !== null ? (raw as { records?: unknown }).records : undefined;
  if (Array.isArray(records) && records.length > MAX_FEEDBACK_BATCH)
    throw new PayloadTooLargeError(
      `A feedback batch holds at most ${MAX_FEEDBACK_BATCH} records; this one has ${records.length}. Send it in several batches.`,
      { data: { maxRecords: MAX_FEEDBACK_BATCH, records: records.length } },
    );
  return parseFeedbackBatch(raw);
}

function counts(site: string, v: SiteRouterView) {
  return { site, version: v.version, counts: v.counts, upToDate: v.upToDate };
}

export function mountFeedback(app: Hono<GatewayEnv>, options: FeedbackRoutesOptions): void {
  const { store, guards } = options;
  const log = options.log ?? (() => undefined);
  const learner = createFeedbackLearner(store.feedback, { ...options, log });

  app.post('/v1/feedback', ...guards, async (c) => {
    const site = c.var.principal.site;
    const records = await readBatch(c);
    const appended = await learner.append(site, records);
    // The records are stored: from here on the answer says so (200 learned, 202 learning deferred), so
    // a client never resends a batch the gateway already holds.
    try {
      return c.json({ accepted: records.length, ...counts(site, await learner.catchUp(site)) }, 200);
    } catch (error) {
      log(error);
      return c.json(
        {
          accepted: records.length,
          site,
          counts: { records: appended.seq, stored: appended.stored },
          upToDate: false,
        },
        202,
      );
    }
  });

  app.get('/v1/router', ...guards, async (c) => {
    const site = c.var.principal.site;
    const v = await learner.catchUp(site);
    return c.json({ ...counts(site, v), state: v.state });
  });
}
