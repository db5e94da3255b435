/**
 * `GET /auditing/scores-url` (validator.md §10.1): the signed URL of the scores file behind the latest weight
 * setting, for auditors; 400 when weights were never set.
 */
import { z } from 'zod';
import type { Queryable } from '../../db/types.ts';
import { latestScoresUrl } from '../../db/queries/validator-weights.ts';
import { HttpError, route } from '../../http/index.ts';

export const scoresUrlResponseSchema = z.object({ url: z.string() });

export function scoresUrlRoute(db: Queryable) {
  return route({
    method: 'GET',
    url: '/auditing/scores-url',
    response: scoresUrlResponseSchema,
    summary: 'URL of the scores file behind the latest weight setting',
    tags: ['auditing'],
    handler: async () => {
      const url = await latestScoresUrl(db);
      if (!url) throw new HttpError(400, 'No scores URL found');
      return { url };
    },
  });
}
