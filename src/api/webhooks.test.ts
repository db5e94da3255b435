import { describe, expect, it } from 'vitest';
import { retryDelayMs, signWebhook, verifyWebhookSignature } from './webhooks.ts';

describe('webhook signatures and backoff', () => {
  it('signs t.body with HMAC-SHA256 and verifies within the tolerance only', () => {
    const sig = signWebhook('whsec_test', '{"a":1}', 1_700_000_000);
    // HMAC-SHA256("whsec_test", "1700000000.{\"a\":1}"), computed independently with openssl.
    expect(sig).toBe('t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789');
    expect(verifyWebhookSignature('whsec_test', '{"a":1}', sig, 1_700_000_100)).toBe(true);
    expect(verifyWebhookSignature('whsec_test', '{"a":1}', sig, 1_700_001_000)).toBe(false);
    expect(verifyWebhookSignature('whsec_test', '{"a":2}', sig, 1_700_000_000)).toBe(false);
    expect(verifyWebhookSignature('whsec_test', '{"a":1}', 'garbage', 1_700_000_000)).toBe(false);
  });

  it('doubles the delay per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, 5000, 30_000))).toEqual([5000, 10_000, 20_000, 30_000, 30_000]);
  });
});
