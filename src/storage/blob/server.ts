/**
 * The blob store over HTTP: `GET|HEAD|PUT /blobs/<key>?expires=…&signature=…`. Every request needs a valid,
 * unexpired signature for its method and key (issued by `LocalBlobStore.signedUrl`); there is no other way in.
 * Refusals are 403 `{detail}`, as a presigned S3 URL refuses. Uploads are streamed to disk, not buffered.
 */
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { HttpError, route } from '../../http/index.ts';
import type { GodServer } from '../../http/index.ts';
import { refuseUnreadUploads, toHttpError } from '../http-errors.ts';
import { BlobKey } from '../names.ts';
import type { LocalBlobStore } from './local.ts';
import type { SignedMethod } from './types.ts';

export const BLOB_ROUTE_PREFIX = '/blobs/';

/** The key from the raw request path: each segment percent-decoded, then validated as a whole. */
export function keyFromRequestPath(rawUrl: string): string {
  const path = rawUrl.split('?')[0] ?? '';
  if (!path.startsWith(BLOB_ROUTE_PREFIX)) throw new HttpError(404, 'Not Found');
  let key: string;
  try {
    key = path.slice(BLOB_ROUTE_PREFIX.length).split('/').map(decodeURIComponent).join('/');
  } catch {
    throw new HttpError(400, 'Invalid blob key encoding');
  }
  if (!BlobKey.safeParse(key).success) throw new HttpError(400, 'Invalid blob key');
  return key;
}

function checkSignature(store: LocalBlobStore, request: FastifyRequest, method: SignedMethod): string {
  const key = keyFromRequestPath(request.raw.url ?? '');
  const query = request.query as Record<string, unknown>;
  const expiresText = typeof query.expires === 'string' ? query.expires : undefined;
  const signature = typeof query.signature === 'string' ? query.signature : undefined;
  if (expiresText === undefined || signature === undefined) throw new HttpError(403, 'Missing signature');
  if (!/^\d{1,15}$/.test(expiresText)) throw new HttpError(403, 'Invalid signature');
  const check = store.verify(method, key, Number(expiresText), signature);
  if (!check.ok) throw new HttpError(403, check.reason);
  return key;
}

export function registerBlobRoutes(server: GodServer, store: LocalBlobStore): void {
  server.route(
    route({
      method: 'GET',
      url: '/blobs/*',
      summary: 'Download a blob by signed URL',
      description: 'Needs `expires` and `signature` query parameters from a signed GET URL; 403 when missing, forged or expired.',
      tags: ['storage'],
      responseContentType: 'application/octet-stream',
      handler: async ({ request, reply }) => {
        // HEAD requests reach this handler too (fastify adds them for GET) and are signed as GET.
        const key = checkSignature(store, request, 'GET');
        try {
          const { info, stream } = await store.getStream(key);
          reply
            .header('content-type', info.contentType)
            .header('content-length', String(info.size))
            .header('etag', `"${info.sha256 ?? ''}"`)
            .header('last-modified', new Date(info.lastModified).toUTCString())
            .header('x-content-sha256', info.sha256 ?? '');
          return reply.send(stream);
        } catch (err) {
          throw toHttpError(err);
        }
      },
    }),
  );

  // PUT lives in its own plugin context so that its body arrives as a stream (the shared server buffers bodies).
  void server.app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    child.put('/blobs/*', (request, reply) =>
      refuseUnreadUploads(request, async () => {
        const key = checkSignature(store, request, 'PUT');
        const declared = Number(request.headers['content-length'] ?? NaN);
        if (Number.isFinite(declared) && declared > store.maxBytes) throw new HttpError(413, `Request body too large (limit ${store.maxBytes} bytes)`);
        const contentType = request.headers['content-type'] ?? 'application/octet-stream';
        const body = (request.body as Readable | undefined) ?? new Uint8Array(0);
        const info = await store.put(key, body, contentType);
        return reply.code(200).send({ key: info.key, size: info.size, sha256: info.sha256, content_type: info.contentType, last_modified: info.lastModified });
      }),
    );
  });
}
