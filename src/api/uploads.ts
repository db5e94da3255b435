/**
 * Dataset uploads (ours): a customer posts a JSON array of rows and gets a signed URL to pass as
 * `training_data` / `test_data` to the custom-dataset create routes. Larger than `uploadLimitBytes` → 413.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HttpError } from '../http/errors.ts';
import { route, type RouteDefinition } from '../http/route.ts';
import { now, type ApiContext } from './context.ts';

const uploadResponseSchema = z.object({
  url: z.string(),
  key: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  rows: z.number().int(),
  expires_at: z.string(),
});

export function uploadRoutes(ctx: ApiContext): RouteDefinition[] {
  const uploads = ctx.uploads;
  if (!uploads) return [];
  return [
    route({
      method: 'POST',
      url: '/v1/uploads',
      auth: 'customer',
      bodyLimit: ctx.rules.uploadLimitBytes,
      body: z.array(z.record(z.string(), z.unknown())).min(1, 'a dataset needs at least one row'),
      response: uploadResponseSchema,
      status: 201,
      tags: ['uploads'],
      summary: 'Upload a dataset (a JSON array of row objects); returns a signed URL for training_data / test_data',
      handler: async ({ body, rawBody, auth }) => {
        if (!rawBody) throw new HttpError(422, [{ type: 'missing', loc: ['body'], msg: 'Field required' }]);
        const key = `upload-${auth.accountId}-${randomUUID()}.json`;
        await uploads.put(key, new Uint8Array(rawBody), 'application/json');
        const url = await uploads.signedUrl(key, ctx.rules.uploadUrlSeconds);
        return {
          url,
          key,
          size: rawBody.length,
          sha256: createHash('sha256').update(rawBody).digest('hex'),
          rows: body.length,
          expires_at: new Date(now(ctx).getTime() + ctx.rules.uploadUrlSeconds * 1000).toISOString(),
        };
      },
    }),
  ];
}
