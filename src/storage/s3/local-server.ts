/**
 * TEST SERVER — a small S3-compatible HTTP server for tests and benches only, NOT a production store: objects
 * live in memory, there is one set of credentials, no bucket policies, no versioning, no persistence.
 *
 * It exists because no MinIO binary can run here, and the S3 adapter should be tested against the real AWS SDK
 * talking real HTTP with real signatures rather than against mocks. It implements, path-style
 * (`/<bucket>/<key>`): PutObject, GetObject (with Range), HeadObject, DeleteObject, ListObjectsV2, multipart
 * upload (create, upload part, complete, abort), HeadBucket/CreateBucket, and it verifies SigV4 in headers and
 * in presigned query strings (with expiry, judged by an injectable clock), payload hashes, and the
 * `x-amz-checksum-sha256`/`-crc32`/`Content-MD5` checksums S3 checks. Errors are S3's XML documents and codes.
 *
 * Fault injection for the adapter's error paths: `faults.slowDown` answers the next n requests 503 SlowDown,
 * `faults.corruptUploads` flips one byte of the next n received bodies (as a broken network would),
 * `tamper()` changes stored bytes behind the adapter's back.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { systemClock } from '../../clock/index.ts';
import type { Clock } from '../../clock/index.ts';
import {
  canonicalRequest,
  MAX_CLOCK_SKEW_MS,
  MAX_PRESIGN_SECONDS,
  parseAmzDate,
  parseAuthorization,
  parseCredential,
  scopeString,
  signature,
  signaturesEqual,
  SIGV4_ALGORITHM,
  stringToSign,
  UNSIGNED_PAYLOAD,
} from './sigv4.ts';

export interface TestS3ServerOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
  /** Buckets that exist from the start (default `god-test`). */
  buckets?: readonly string[];
  /** Judges X-Amz-Date skew and presigned expiry (default: the system clock). */
  clock?: Clock;
  /** S3's minimum size of every part but the last (5 MiB); tests lower it. */
  minPartSize?: number;
  host?: string;
  port?: number;
}

interface StoredObject {
  body: Buffer;
  contentType: string;
  metadata: Record<string, string>;
  lastModified: Date;
  etag: string;
  /** Base64 sha256 of the whole object, or S3's composite `<b64>-<parts>` for multipart uploads. */
  checksumSha256?: string;
}

interface Part {
  body: Buffer;
  etag: string;
  sha256: Buffer;
}

interface MultipartUpload {
  bucket: string;
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  checksumSha256: boolean;
  parts: Map<number, Part>;
}

export interface RecordedS3Request {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** How the request was authenticated. */
  auth: 'header' | 'presigned' | 'none';
}

class S3Fail extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

function crc32Base64(b: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b) >>> 0);
  return out.toString('base64');
}

function parseQuery(raw: string): [string, string][] {
  if (raw === '') return [];
  return raw.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const k = eq < 0 ? pair : pair.slice(0, eq);
    const v = eq < 0 ? '' : pair.slice(eq + 1);
    return [decodeURIComponent(k), decodeURIComponent(v)];
  });
}

/** `aws-chunked` (unsigned, with trailer) as the SDK streams bodies: returns the payload and the trailer headers. */
function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Record<string, string> } {
  const chunks: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', pos);
    if (eol < 0) throw new S3Fail(400, 'IncompleteBody', 'aws-chunked body ends inside a chunk header');
    const size = Number.parseInt(body.subarray(pos, eol).toString('latin1').split(';')[0] as string, 16);
    if (!Number.isFinite(size) || size < 0) throw new S3Fail(400, 'InvalidRequest', 'bad aws-chunked chunk size');
    pos = eol + 2;
    if (size === 0) break;
    if (pos + size > body.length) throw new S3Fail(400, 'IncompleteBody', 'aws-chunked body is shorter than its chunks');
    chunks.push(body.subarray(pos, pos + size));
    pos += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of body.subarray(pos).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(chunks), trailers };
}

export class TestS3Server {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  readonly uploads = new Map<string, MultipartUpload>();
  readonly requests: RecordedS3Request[] = [];
  /** Fault injection; each counter is consumed by the requests it affects. */
  readonly faults = { slowDown: 0, corruptUploads: 0 };
  private readonly clock: Clock;
  private readonly minPartSize: number;
  private server: Server | undefined;
  endpoint = '';

  private constructor(options: TestS3ServerOptions) {
    this.accessKeyId = options.accessKeyId ?? 'test-access-key';
    this.secretAccessKey = options.secretAccessKey ?? 'test-secret-key';
    this.region = options.region ?? 'us-east-1';
    this.clock = options.clock ?? systemClock;
    this.minPartSize = options.minPartSize ?? 5 * 1024 * 1024;
    for (const b of options.buckets ?? ['god-test']) this.buckets.set(b, new Map());
  }

  static async start(options: TestS3ServerOptions = {}): Promise<TestS3Server> {
    const s3 = new TestS3Server(options);
    const server = createServer((req, res) => void s3.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
    const { address, port } = server.address() as AddressInfo;
    s3.server = server;
    s3.endpoint = `http://${address}:${port}`;
    return s3;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Replaces the stored bytes of an object without touching its metadata (a damaged disk, a bad replica). */
  tamper(bucket: string, key: string, body: Uint8Array): void {
    const obj = this.buckets.get(bucket)?.get(key);
    if (!obj) throw new Error(`no object ${bucket}/${key}`);
    obj.body = Buffer.from(body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const qAt = rawUrl.indexOf('?');
    const rawPath = qAt < 0 ? rawUrl : rawUrl.slice(0, qAt);
    let query: [string, string][] = [];
    const record: RecordedS3Request = { method, path: rawPath, query: {}, status: 0, auth: 'none' };
    try {
      for await (const c of req) chunks.push(c as Buffer);
      query = parseQuery(qAt < 0 ? '' : rawUrl.slice(qAt + 1));
      record.query = Object.fromEntries(query);
      if (this.faults.slowDown > 0) {
        this.faults.slowDown--;
        throw new S3Fail(503, 'SlowDown', 'Please reduce your request rate.');
      }
      let body = Buffer.concat(chunks);
      if (body.length > 0 && this.faults.corruptUploads > 0) {
        this.faults.corruptUploads--;
        body = Buffer.from(body);
        const at = Math.floor(body.length / 2);
        body[at] = (body[at] as number) ^ 0xff;
      }
      record.auth = this.authenticate(method, rawPath, query, req.headers);
      const payload = this.payload(body, req.headers);
      this.route(method, rawPath, new Map(query), req.headers, payload, res, record);
    } catch (err) {
      const fail = err instanceof S3Fail ? err : new S3Fail(500, 'InternalError', (err as Error).message);
      record.status = fail.status;
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fail.code}</Code><Message>${xmlEscape(fail.message)}</Message><Resource>${xmlEscape(rawPath)}</Resource><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`;
      res.writeHead(fail.status, { 'content-type': 'application/xml', ...(fail.code === 'SlowDown' ? { 'retry-after': '0' } : {}) });
      res.end(method === 'HEAD' ? undefined : xml);
    } finally {
      this.requests.push(record);
    }
  }

  /** SigV4 from the Authorization header or from a presigned query string; anonymous requests are refused. */
  private authenticate(method: string, rawPath: string, query: [string, string][], headers: IncomingMessage['headers']): 'header' | 'presigned' {
    const q = new Map(query);
    const now = this.clock.now();
    if (q.has('X-Amz-Algorithm')) {
      if (q.get('X-Amz-Algorithm') !== SIGV4_ALGORITHM) throw new S3Fail(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
      const scope = parseCredential(q.get('X-Amz-Credential') ?? '');
      const amzDate = q.get('X-Amz-Date') ?? '';
      const signed = parseAmzDate(amzDate);
      const expires = Number(q.get('X-Amz-Expires'));
      const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
      const presented = q.get('X-Amz-Signature') ?? '';
      if (!scope || Number.isNaN(signed) || !signedHeaders.includes('host') || presented === '') {
        throw new S3Fail(400, 'AuthorizationQueryParametersError', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
      }
      if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
        throw new S3Fail(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
      }
      this.checkScope(scope, amzDate);
      const canonical = canonicalRequest({ method, rawPath, query, omitQuery: 'X-Amz-Signature', headers, signedHeaders, payloadHash: q.get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD });
      const expected = signature(this.secretAccessKey, scope, stringToSign(amzDate, scopeString(scope), canonical));
      if (!signaturesEqual(expected, presented)) throw new S3Fail(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
      if (now > signed + expires * 1000) throw new S3Fail(403, 'AccessDenied', 'Request has expired');
      if (signed > now + MAX_CLOCK_SKEW_MS) throw new S3Fail(403, 'AccessDenied', 'Request is not valid yet');
      return 'presigned';
    }
    const auth = parseAuthorization(String(headers.authorization ?? ''));
    if (!auth) throw new S3Fail(403, 'AccessDenied', 'Access Denied');
    const scope = parseCredential(auth.credential);
    const amzDate = String(headers['x-amz-date'] ?? '');
    const signed = parseAmzDate(amzDate);
    const payloadHash = headers['x-amz-content-sha256'];
    if (!scope || Number.isNaN(signed)) throw new S3Fail(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
    if (typeof payloadHash !== 'string') throw new S3Fail(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    if (!auth.signedHeaders.includes('host')) throw new S3Fail(403, 'AccessDenied', 'host must be a signed header');
    this.checkScope(scope, amzDate);
    if (Math.abs(now - signed) > MAX_CLOCK_SKEW_MS) throw new S3Fail(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    const canonical = canonicalRequest({ method, rawPath, query, headers, signedHeaders: auth.signedHeaders, payloadHash });
    const expected = signature(this.secretAccessKey, scope, stringToSign(amzDate, scopeString(scope), canonical));
    if (!signaturesEqual(expected, auth.signature)) throw new S3Fail(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    return 'header';
  }

  private checkScope(scope: { accessKeyId: string; date: string; region: string; service: string }, amzDate: string): void {
    if (scope.accessKeyId !== this.accessKeyId) throw new S3Fail(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    if (scope.service !== 's3' || scope.region !== this.region || !amzDate.startsWith(scope.date)) {
      throw new S3Fail(400, 'AuthorizationHeaderMalformed', `credential scope must be <date>/${this.region}/s3/aws4_request`);
    }
  }

  /** The body as S3 sees it: aws-chunked decoded, payload hash and checksums verified. */
  private payload(body: Buffer, headers: IncomingMessage['headers']): Buffer {
    const declared = String(headers['x-amz-content-sha256'] ?? UNSIGNED_PAYLOAD);
    let payload = body;
    const checksums: Record<string, string> = {};
    for (const name of ['x-amz-checksum-sha256', 'x-amz-checksum-crc32']) {
      const v = headers[name];
      if (typeof v === 'string') checksums[name] = v;
    }
    if (declared.startsWith('STREAMING-')) {
      if (declared !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') throw new S3Fail(501, 'NotImplemented', `${declared} is not supported by the test server`);
      const decoded = decodeAwsChunked(body);
      payload = decoded.payload;
      Object.assign(checksums, decoded.trailers);
      const length = headers['x-amz-decoded-content-length'];
      if (typeof length === 'string' && Number(length) !== payload.length) throw new S3Fail(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
    } else if (declared !== UNSIGNED_PAYLOAD && sha256(payload).toString('hex') !== declared) {
      throw new S3Fail(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const sha = checksums['x-amz-checksum-sha256'];
    if (sha !== undefined && sha !== sha256(payload).toString('base64')) throw new S3Fail(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
    const crc = checksums['x-amz-checksum-crc32'];
    if (crc !== undefined && crc !== crc32Base64(payload)) throw new S3Fail(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
    const contentMd5 = headers['content-md5'];
    if (typeof contentMd5 === 'string' && contentMd5 !== md5(payload).toString('base64')) throw new S3Fail(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    return payload;
  }

  private route(method: string, rawPath: string, q: Map<string, string>, headers: IncomingMessage['headers'], body: Buffer, res: ServerResponse, record: RecordedS3Request): void {
    const path = rawPath.split('/').map(decodeURIComponent).join('/');
    const slash = path.indexOf('/', 1);
    const bucketName = slash < 0 ? path.slice(1) : path.slice(1, slash);
    const key = slash < 0 ? '' : path.slice(slash + 1);
    const send = (status: number, hdrs: Record<string, string>, payload?: string | Buffer) => {
      record.status = status;
      res.writeHead(status, hdrs);
      res.end(method === 'HEAD' ? undefined : payload);
    };
    const xml = (status: number, doc: string) => send(status, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?>\n${doc}`);

    if (bucketName === '') throw new S3Fail(405, 'MethodNotAllowed', 'ListBuckets is not supported by the test server');
    if (key === '' && method === 'PUT') {
      if (this.buckets.has(bucketName)) throw new S3Fail(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.');
      this.buckets.set(bucketName, new Map());
      return send(200, { location: `/${bucketName}` });
    }
    const bucket = this.buckets.get(bucketName);
    if (!bucket) throw new S3Fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (key === '') {
      if (method === 'HEAD') return send(200, {});
      if (method === 'GET' && q.get('list-type') === '2') return xml(200, this.list(bucketName, bucket, q));
      throw new S3Fail(405, 'MethodNotAllowed', `${method} on a bucket is not supported by the test server`);
    }
    if (Buffer.byteLength(key) > 1024) throw new S3Fail(400, 'KeyTooLongError', 'Your key is too long');

    const uploadId = q.get('uploadId');
    if (method === 'POST' && q.has('uploads')) {
      const id = randomBytes(16).toString('hex');
      this.uploads.set(id, {
        bucket: bucketName,
        key,
        contentType: String(headers['content-type'] ?? 'binary/octet-stream'),
        metadata: metadataOf(headers),
        checksumSha256: String(headers['x-amz-checksum-algorithm'] ?? '').toUpperCase() === 'SHA256',
        parts: new Map(),
      });
      return xml(200, `<InitiateMultipartUploadResult><Bucket>${xmlEscape(bucketName)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (uploadId !== undefined) {
      const upload = this.uploads.get(uploadId);
      if (!upload || upload.bucket !== bucketName || upload.key !== key) throw new S3Fail(404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
      if (method === 'PUT') {
        const n = Number(q.get('partNumber'));
        if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new S3Fail(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
        const etag = `"${md5(body).toString('hex')}"`;
        const digest = sha256(body);
        upload.parts.set(n, { body, etag, sha256: digest });
        return send(200, { etag, ...(upload.checksumSha256 ? { 'x-amz-checksum-sha256': digest.toString('base64') } : {}) });
      }
      if (method === 'DELETE') {
        this.uploads.delete(uploadId);
        return send(204, {});
      }
      if (method === 'POST') {
        const listed = [...body.toString('utf8').matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
          n: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1] as string)?.[1]),
          etag: /<ETag>([^<]*)<\/ETag>/.exec(m[1] as string)?.[1]?.replaceAll('&quot;', '"') ?? '',
        }));
        if (listed.length === 0) throw new S3Fail(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
        const parts: Part[] = [];
        for (const [i, p] of listed.entries()) {
          if (i > 0 && p.n <= (listed[i - 1] as { n: number }).n) throw new S3Fail(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
          const part = upload.parts.get(p.n);
          if (!part || part.etag !== (p.etag.startsWith('"') ? p.etag : `"${p.etag}"`)) throw new S3Fail(400, 'InvalidPart', 'One or more of the specified parts could not be found.');
          if (i < listed.length - 1 && part.body.length < this.minPartSize) throw new S3Fail(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
          parts.push(part);
        }
        const etag = `"${md5(Buffer.concat(parts.map((p) => Buffer.from(p.etag.slice(1, -1), 'hex')))).toString('hex')}-${parts.length}"`;
        const obj: StoredObject = {
          body: Buffer.concat(parts.map((p) => p.body)),
          contentType: upload.contentType,
          metadata: upload.metadata,
          lastModified: this.clock.date(),
          etag,
          ...(upload.checksumSha256 ? { checksumSha256: `${sha256(Buffer.concat(parts.map((p) => p.sha256))).toString('base64')}-${parts.length}` } : {}),
        };
        bucket.set(key, obj);
        this.uploads.delete(uploadId);
        return xml(200, `<CompleteMultipartUploadResult><Location>/${xmlEscape(bucketName)}/${xmlEscape(key)}</Location><Bucket>${xmlEscape(bucketName)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`);
      }
    }
    if (method === 'PUT') {
      const obj: StoredObject = {
        body,
        contentType: String(headers['content-type'] ?? 'binary/octet-stream'),
        metadata: metadataOf(headers),
        lastModified: this.clock.date(),
        etag: `"${md5(body).toString('hex')}"`,
        checksumSha256: sha256(body).toString('base64'),
      };
      bucket.set(key, obj);
      return send(200, { etag: obj.etag, ...(headers['x-amz-checksum-sha256'] ? { 'x-amz-checksum-sha256': obj.checksumSha256 as string } : {}) });
    }
    if (method === 'DELETE') {
      bucket.delete(key);
      return send(204, {});
    }
    if (method === 'GET' || method === 'HEAD') {
      const obj = bucket.get(key);
      if (!obj) {
        if (method === 'HEAD') throw new S3Fail(404, 'NotFound', 'Not Found');
        throw new S3Fail(404, 'NoSuchKey', 'The specified key does not exist.');
      }
      const common: Record<string, string> = {
        'content-type': obj.contentType,
        etag: obj.etag,
        'last-modified': obj.lastModified.toUTCString(),
        'accept-ranges': 'bytes',
        ...Object.fromEntries(Object.entries(obj.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
      };
      const range = headers.range;
      if (typeof range === 'string') {
        const r = parseRange(range, obj.body.length);
        if (r === 'unsatisfiable') throw new S3Fail(416, 'InvalidRange', 'The requested range is not satisfiable');
        if (r !== null) {
          return send(206, { ...common, 'content-length': String(r.end - r.start + 1), 'content-range': `bytes ${r.start}-${r.end}/${obj.body.length}` }, obj.body.subarray(r.start, r.end + 1));
        }
      }
      const checksum: Record<string, string> = headers['x-amz-checksum-mode'] === 'ENABLED' && obj.checksumSha256 !== undefined ? { 'x-amz-checksum-sha256': obj.checksumSha256 } : {};
      return send(200, { ...common, ...checksum, 'content-length': String(obj.body.length) }, obj.body);
    }
    throw new S3Fail(405, 'MethodNotAllowed', `${method} is not supported by the test server`);
  }

  private list(name: string, bucket: Map<string, StoredObject>, q: Map<string, string>): string {
    const prefix = q.get('prefix') ?? '';
    const maxKeys = Math.min(1000, Math.max(0, Number(q.get('max-keys') ?? 1000)));
    const token = q.get('continuation-token');
    const after = token !== undefined ? Buffer.from(token, 'base64url').toString('utf8') : (q.get('start-after') ?? '');
    // S3 orders keys by their UTF-8 bytes.
    const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const o = bucket.get(k) as StoredObject;
        return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1] as string).toString('base64url')}</NextContinuationToken>` : '';
    const cont = token !== undefined ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '';
    return `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(name)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${cont}${contents}${next}</ListBucketResult>`;
  }
}

function metadataOf(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.startsWith('x-amz-meta-') && typeof v === 'string') out[k.slice('x-amz-meta-'.length)] = v;
  return out;
}

/** A single `bytes=` range; null when the header is not one S3 would honour (then the whole object is sent). */
export function parseRange(header: string, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}
