/**
 * AWS Signature Version 4 as S3 checks it, as plain functions: what the test S3 server uses to verify the
 * requests the real SDK signs (header-signed requests and presigned query strings). Written from the public
 * SigV4 documentation; the SDK is the other side, so a mistake here shows up as a refused request in the tests.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** S3 refuses presigned URLs meant to live longer than 7 days. */
export const MAX_PRESIGN_SECONDS = 604_800;
/** S3 refuses header-signed requests whose X-Amz-Date is further than 15 minutes from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-_.~` is percent-encoded. */
export function sigv4Encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Each path segment decoded once and re-encoded (S3 does not double-encode). */
export function canonicalUri(rawPath: string): string {
  return rawPath
    .split('/')
    .map((seg) => sigv4Encode(decodeURIComponent(seg)))
    .join('/');
}

/** Query parameters (decoded) sorted by encoded name then value; `omit` drops the signature itself. */
export function canonicalQuery(params: readonly (readonly [string, string])[], omit?: string): string {
  return params
    .filter(([k]) => k !== omit)
    .map(([k, v]) => [sigv4Encode(k), sigv4Encode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function canonicalRequest(input: {
  method: string;
  rawPath: string;
  query: readonly (readonly [string, string])[];
  omitQuery?: string;
  headers: Record<string, string | string[] | undefined>;
  signedHeaders: readonly string[];
  payloadHash: string;
}): string {
  const headerLines = input.signedHeaders.map((name) => {
    const raw = input.headers[name];
    const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
    return `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  });
  return [input.method, canonicalUri(input.rawPath), canonicalQuery(input.query, input.omitQuery), headerLines.join(''), input.signedHeaders.join(';'), input.payloadHash].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
}

export function signingKey(secretKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretKey}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export function signature(secretKey: string, credentialScope: CredentialScope, toSign: string): string {
  return createHmac('sha256', signingKey(secretKey, credentialScope.date, credentialScope.region, credentialScope.service)).update(toSign).digest('hex');
}

export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/** `AKID/20250801/us-east-1/s3/aws4_request` → its parts; null when malformed. */
export function parseCredential(credential: string): CredentialScope | null {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return null;
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  if (!/^\d{8}$/.test(date) || accessKeyId === '' || region === '' || service === '') return null;
  return { accessKeyId, date, region, service };
}

export const scopeString = (s: CredentialScope): string => `${s.date}/${s.region}/${s.service}/aws4_request`;

/** `20250801T120000Z` → epoch ms; NaN when malformed. */
export function parseAmzDate(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=a;b, Signature=hex` → its fields; null when malformed. */
export function parseAuthorization(header: string): { credential: string; signedHeaders: string[]; signature: string } | null {
  if (!header.startsWith(`${SIGV4_ALGORITHM} `)) return null;
  const fields = new Map<string, string>();
  for (const part of header.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const sig = fields.get('Signature');
  if (!credential || !signed || !sig) return null;
  return { credential, signedHeaders: signed.split(';'), signature: sig };
}
