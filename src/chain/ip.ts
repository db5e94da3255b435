/**
 * Axon addresses: the chain stores an IP as a u128 plus an `ip_type` (4 or 6). fiber 2.4.0 hands the integer
 * on as a decimal string and lets the URL parser guess (miner-protocol-chain.md §6.2), which breaks IPv6; here the
 * conversion is explicit both ways. Text forms are what Python's `ipaddress` prints (RFC 5952 for IPv6).
 */
import { isIPv4, isIPv6 } from 'node:net';

const MAX_V4 = (1n << 32n) - 1n;
const MAX_V6 = (1n << 128n) - 1n;

export type IpType = 4 | 6;

/** `"1113376410"` → 1113376410n; null for anything that is not a non-negative decimal integer < 2^128. */
export function parseIpInt(decimal: string): bigint | null {
  if (!/^\d{1,39}$/.test(decimal)) return null;
  const value = BigInt(decimal);
  return value <= MAX_V6 ? value : null;
}

export function ipv4FromInt(value: bigint): string {
  if (value < 0n || value > MAX_V4) throw new RangeError(`not an IPv4 integer: ${value}`);
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`, leftmost on a tie. */
export function ipv6FromInt(value: bigint): string {
  if (value < 0n || value > MAX_V6) throw new RangeError(`not an IPv6 integer: ${value}`);
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * The text form of an axon's address, or null when the node serves none (ip 0) or the pair is inconsistent
 * (an IPv4 type with a value ≥ 2^32, an unknown type).
 */
export function ipToText(decimal: string, ipType: number): string | null {
  const value = parseIpInt(decimal);
  if (value === null || value === 0n) return null;
  if (ipType === 4) return value <= MAX_V4 ? ipv4FromInt(value) : null;
  if (ipType === 6) return ipv6FromInt(value);
  return null;
}

function parseV4(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** Dotted IPv4 or textual IPv6 → the chain's integer and type; throws on anything else. */
export function ipFromText(text: string): { ip: bigint; ipType: IpType } {
  const trimmed = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(trimmed)) return { ip: parseV4(trimmed), ipType: 4 };
  if (!isIPv6(trimmed) || trimmed.includes('%')) throw new Error(`not an IPv4 or IPv6 address: "${text}"`);
  let body = trimmed.toLowerCase();
  // An embedded dotted tail (::ffff:1.2.3.4) stands for the last two groups.
  const dotted = body.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted?.[1]) {
    const v4 = parseV4(dotted[1]);
    body = `${body.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = body.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  const ip = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  return { ip, ipType: 6 };
}

/** `http://1.2.3.4:7999` or `http://[2001:db8::1]:7999`; null when the node has no axon. */
export function axonUrl(decimal: string, ipType: number, port: number): string | null {
  const host = ipToText(decimal, ipType);
  if (host === null || port <= 0) return null;
  return ipType === 6 ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
