import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { axonUrl, ipFromText, ipToText, ipv6FromInt, parseIpInt } from './ip.ts';

describe('axon IPs', () => {
  it('turns fiber 2.4.0 decimal strings into dotted IPv4', () => {
    // The spec's example: 1113376410 is what fiber puts into `ip`.
    expect(ipToText('1113376410', 4)).toBe('66.92.198.154');
    expect(ipToText('3232235777', 4)).toBe('192.168.1.1');
    expect(ipToText('4294967295', 4)).toBe('255.255.255.255');
  });

  it('treats ip 0 (no axon) and inconsistent pairs as no address', () => {
    expect(ipToText('0', 0)).toBeNull();
    expect(ipToText('0', 4)).toBeNull();
    expect(ipToText('4294967296', 4)).toBeNull();
    expect(ipToText('5', 5)).toBeNull();
    expect(ipToText('-1', 4)).toBeNull();
    expect(ipToText('1.2.3.4', 4)).toBeNull();
    expect(parseIpInt((1n << 128n).toString())).toBeNull();
  });

  it('prints IPv6 as Python ipaddress does (RFC 5952)', () => {
    expect(ipToText(((0x20010db8n << 96n) | 1n).toString(), 6)).toBe('2001:db8::1');
    expect(ipv6FromInt(1n)).toBe('::1');
    expect(ipv6FromInt(0n)).toBe('::');
    // A single zero group is not compressed; the longest run wins; leftmost on a tie.
    expect(ipv6FromInt(ipFromText('2001:db8:0:1:1:1:1:1').ip)).toBe('2001:db8:0:1:1:1:1:1');
    expect(ipv6FromInt(ipFromText('2001:0:0:1:0:0:0:1').ip)).toBe('2001:0:0:1::1');
    expect(ipv6FromInt(ipFromText('2001:db8:0:0:1:0:0:1').ip)).toBe('2001:db8::1:0:0:1');
    expect(ipFromText('::ffff:1.2.3.4')).toEqual({ ip: 0xffff01020304n, ipType: 6 });
  });

  it('round-trips any IPv4 and IPv6 integer', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 32n) - 1n }), (v) => {
        const text = ipToText(v.toString(), 4) as string;
        expect(ipFromText(text)).toEqual({ ip: v, ipType: 4 });
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 128n) - 1n }), (v) => {
        expect(ipFromText(ipToText(v.toString(), 6) as string)).toEqual({ ip: v, ipType: 6 });
      }),
    );
  });

  it('refuses text that is not an address', () => {
    expect(() => ipFromText('localhost')).toThrow(/not an IPv4 or IPv6/);
    expect(() => ipFromText('1.2.3')).toThrow();
    expect(() => ipFromText('fe80::1%eth0')).toThrow();
  });

  it('builds URLs, bracketing IPv6 and skipping unserved axons', () => {
    expect(axonUrl('1113376410', 4, 7999)).toBe('http://66.92.198.154:7999');
    expect(axonUrl('1', 6, 7999)).toBe('http://[::1]:7999');
    expect(axonUrl('0', 0, 0)).toBeNull();
    expect(axonUrl('1113376410', 4, 0)).toBeNull();
  });
});
