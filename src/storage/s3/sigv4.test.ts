import { describe, expect, it } from 'vitest';
import { canonicalQuery, canonicalRequest, parseAmzDate, parseAuthorization, parseCredential, scopeString, signature, stringToSign } from './sigv4.ts';

// The worked examples of the S3 SigV4 documentation ("Signature Calculations for the Authorization Header" and
// "Authenticating Requests: Using Query Parameters").
const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const scope = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', date: '20130524', region: 'us-east-1', service: 's3' };
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('SigV4', () => {
  it('reproduces the documented GET Object header signature', () => {
    const canonical = canonicalRequest({
      method: 'GET',
      rawPath: '/test.txt',
      query: [],
      headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA, 'x-amz-date': '20130524T000000Z' },
      signedHeaders: ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'],
      payloadHash: EMPTY_SHA,
    });
    expect(signature(secret, scope, stringToSign('20130524T000000Z', scopeString(scope), canonical))).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  it('reproduces the documented presigned GET signature', () => {
    const query: [string, string][] = [
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
      ['X-Amz-Credential', 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request'],
      ['X-Amz-Date', '20130524T000000Z'],
      ['X-Amz-Expires', '86400'],
      ['X-Amz-SignedHeaders', 'host'],
      ['X-Amz-Signature', 'ignored'],
    ];
    const canonical = canonicalRequest({ method: 'GET', rawPath: '/test.txt', query, omitQuery: 'X-Amz-Signature', headers: { host: 'examplebucket.s3.amazonaws.com' }, signedHeaders: ['host'], payloadHash: 'UNSIGNED-PAYLOAD' });
    expect(signature(secret, scope, stringToSign('20130524T000000Z', scopeString(scope), canonical))).toBe('aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  });

  it('sorts and encodes query parameters, and parses the header fields', () => {
    expect(canonicalQuery([['prefix', 'a b/c'], ['list-type', '2'], ['uploads', '']])).toBe('list-type=2&prefix=a%20b%2Fc&uploads=');
    expect(parseAuthorization('AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc')).toEqual({
      credential: 'AK/20130524/us-east-1/s3/aws4_request',
      signedHeaders: ['host', 'x-amz-date'],
      signature: 'abc',
    });
    expect(parseAuthorization('AWS x:y')).toBeNull();
    expect(parseCredential('AK/2013/us-east-1/s3/aws4_request')).toBeNull();
    expect(parseAmzDate('20130524T000000Z')).toBe(Date.UTC(2013, 4, 24));
    expect(parseAmzDate('2013-05-24')).toBeNaN();
  });
});
