import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sr25519Keypair, initCrypto } from '../keys/keypair.ts';
import { NonceStore } from './nonce-store.ts';
import { pythonJsonDumps } from './python-json.ts';
import { signRequest } from './signing.ts';
import { verifyRequest } from './verify.ts';
import type { StakeLookup, VerifyContext, VerifyInput, VerifyOutcome } from './verify.ts';

const S = 1_000_000_000n;
const NOW = 1_754_000_000n * S;

let alice: Sr25519Keypair; // staked validator
let bob: Sr25519Keypair; // this miner
let charlie: Sr25519Keypair; // validator with too little stake
let dave: Sr25519Keypair; // not in the metagraph

beforeAll(async () => {
  await initCrypto();
  alice = Sr25519Keypair.fromUri('//Alice');
  bob = Sr25519Keypair.fromUri('//Bob');
  charlie = Sr25519Keypair.fromUri('//Charlie');
  dave = Sr25519Keypair.fromUri('//Dave');
});

function context(overrides: Partial<VerifyContext> = {}): VerifyContext {
  const stakes = new Map<string, number>([
    [alice.ss58Address, 5000],
    [charlie.ss58Address, 10],
  ]);
  return {
    minerHotkey: bob.ss58Address,
    lookupStake: (hotkey): StakeLookup => {
      const stake = stakes.get(hotkey);
      return stake === undefined ? { found: false } : { found: true, stake };
    },
    nonceStore: new NonceStore(),
    nowNs: () => NOW,
    ...overrides,
  };
}

const OFFER = { ds_size: 100, model: 'm', hours_to_complete: 3, task_id: 't', task_type: 'InstructTextTask', model_params_count: null };

function signedPost(opts: { by?: Sr25519Keypair; to?: string; body?: string; nowNs?: bigint; nonce?: string } = {}): VerifyInput {
  const body = Buffer.from(opts.body ?? pythonJsonDumps(OFFER), 'utf8');
  const headers = signRequest({ keypair: opts.by ?? alice, minerHotkey: opts.to ?? bob.ss58Address, body, nowNs: opts.nowNs ?? NOW, nonce: opts.nonce });
  return { headers: lower(headers), rawBody: body, method: 'POST', path: '/task_offer/' };
}

function signedGet(opts: { by?: Sr25519Keypair; nowNs?: bigint } = {}): VerifyInput {
  const headers = signRequest({ keypair: opts.by ?? alice, minerHotkey: bob.ss58Address, nowNs: opts.nowNs ?? NOW });
  return { headers: lower(headers), rawBody: null, method: 'GET', path: '/training_repo/text' };
}

/** Node hands headers to handlers with lower-case names. */
function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function expectRejected(outcome: VerifyOutcome, status: number, detail: unknown): void {
  expect(outcome.ok).toBe(false);
  if (outcome.ok) return;
  expect(outcome.status).toBe(status);
  expect(outcome.body).toEqual({ detail });
}

const BAD_NONCE = 'Oi, that nonce is not valid!';
const BAD_SIG = "Oi, invalid signature, you're not who you said you were!";
const NOT_ME = "Oi, invalid miner hotkey - that's not me!";

describe('verifyRequest: accepted requests', () => {
  it('accepts a validly signed POST and GET from a staked validator', async () => {
    const ctx = context();
    const post = await verifyRequest(signedPost(), ctx);
    expect(post).toMatchObject({ ok: true, validatorHotkey: alice.ss58Address, stake: 5000 });
    expect((await verifyRequest(signedGet(), ctx)).ok).toBe(true);
    expect(ctx.nonceStore.size).toBe(2);
  });

  it('hashes the raw bytes: Python-spaced and compact bodies of one payload both verify (no re-serialisation)', async () => {
    const ctx = context();
    expect((await verifyRequest(signedPost({ body: pythonJsonDumps(OFFER) }), ctx)).ok).toBe(true);
    expect((await verifyRequest(signedPost({ body: JSON.stringify(OFFER) }), ctx)).ok).toBe(true);
    expect(pythonJsonDumps(OFFER)).not.toBe(JSON.stringify(OFFER));
  });

  it('accepts nonces exactly 120 s old or ahead, a bare-integer nonce, and header names in any case', async () => {
    const ctx = context();
    expect((await verifyRequest(signedPost({ nowNs: NOW - 120n * S }), ctx)).ok).toBe(true);
    expect((await verifyRequest(signedPost({ nowNs: NOW + 120n * S }), ctx)).ok).toBe(true);
    expect((await verifyRequest(signedPost({ nonce: String(NOW) }), ctx)).ok).toBe(true);
    const upper = signedPost();
    upper.headers = Object.fromEntries(Object.entries(upper.headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect((await verifyRequest(upper, ctx)).ok).toBe(true);
  });

  it('accepts the signature encodings substrate-interface accepts: no 0x, upper-case hex, <Bytes>-wrapped', async () => {
    const ctx = context();
    const noPrefix = signedPost();
    noPrefix.headers.signature = (noPrefix.headers.signature as string).slice(2);
    expect((await verifyRequest(noPrefix, ctx)).ok).toBe(true);
    const upper = signedPost();
    upper.headers.signature = `0x${(upper.headers.signature as string).slice(2).toUpperCase()}`;
    expect((await verifyRequest(upper, ctx)).ok).toBe(true);
    const nonce = `${NOW}_wrapped000`;
    const message = `${nonce}:${bob.ss58Address}`;
    const wrapped = alice.sign(Buffer.from(`<Bytes>${message}</Bytes>`));
    const input: VerifyInput = {
      headers: { 'validator-hotkey': alice.ss58Address, 'miner-hotkey': bob.ss58Address, nonce, signature: `0x${Buffer.from(wrapped).toString('hex')}` },
      method: 'GET',
      path: '/x',
    };
    expect((await verifyRequest(input, ctx)).ok).toBe(true);
  });
});

describe('verifyRequest: refusals with the original status and detail', () => {
  it('tampered body → 401 invalid signature', async () => {
    const input = signedPost();
    input.rawBody = Buffer.from(pythonJsonDumps({ ...OFFER, hours_to_complete: 4 }));
    expectRejected(await verifyRequest(input, context()), 401, BAD_SIG);
  });

  it('replayed nonce → 401 nonce not valid', async () => {
    const ctx = context();
    const input = signedPost();
    expect((await verifyRequest(input, ctx)).ok).toBe(true);
    const again = await verifyRequest(input, ctx);
    expectRejected(again, 401, BAD_NONCE);
    expect(again.ok || again.reason).toBe('replayed_nonce');
  });

  it('stale (121 s) and future (121 s) timestamps → 401 nonce not valid', async () => {
    expectRejected(await verifyRequest(signedPost({ nowNs: NOW - 121n * S }), context()), 401, BAD_NONCE);
    expectRejected(await verifyRequest(signedPost({ nowNs: NOW + 121n * S }), context()), 401, BAD_NONCE);
  });

  it('malformed nonce → 401 nonce not valid', async () => {
    for (const nonce of ['abc', '', '_1', '0x10_abc', '-5_x', String(10n ** 20n + 1n)]) {
      expectRejected(await verifyRequest(signedPost({ nonce }), context()), 401, BAD_NONCE);
    }
  });

  it('signed for another miner → 401 not me', async () => {
    expectRejected(await verifyRequest(signedPost({ to: charlie.ss58Address }), context()), 401, NOT_ME);
  });

  it('unknown validator → 403 not found; low stake → 403 with the stake as Python prints a float', async () => {
    expectRejected(await verifyRequest(signedPost({ by: dave }), context()), 403, 'Hotkey not found in metagraph');
    expectRejected(await verifyRequest(signedPost({ by: charlie }), context()), 403, 'Insufficient stake of 10.0 ');
    const ctx = context({ lookupStake: () => ({ found: true, stake: 999.5 }) });
    expectRejected(await verifyRequest(signedPost(), ctx), 403, 'Insufficient stake of 999.5 ');
    expect((await verifyRequest(signedPost(), context({ minStake: 0, lookupStake: () => ({ found: true, stake: 0 }) }))).ok).toBe(true);
  });

  it('checks the signature before the stake: a forged request naming a staked hotkey is 401 and costs no memory', async () => {
    const ctx = context();
    let lookups = 0;
    const counting = { ...ctx, lookupStake: (h: string) => (lookups++, ctx.lookupStake(h)) };
    const forged = signedPost({ by: dave });
    forged.headers['validator-hotkey'] = alice.ss58Address;
    expectRejected(await verifyRequest(forged, counting), 401, BAD_SIG);
    expect(lookups).toBe(0);
    expect(ctx.nonceStore.size).toBe(0);
    // Refused for stake: not recorded either (the request was never executed).
    await verifyRequest(signedPost({ by: charlie }), counting);
    expect(ctx.nonceStore.size).toBe(0);
  });

  it('a GET signature does not authorise a POST of an empty body (fiber hashes the body on POST routes)', async () => {
    const get = signedGet();
    expectRejected(await verifyRequest({ ...get, method: 'POST', rawBody: Buffer.alloc(0) }, context()), 401, BAD_SIG);
  });

  it('missing headers → 422 in FastAPI shape, naming each header', async () => {
    const input = signedPost();
    delete input.headers.signature;
    delete input.headers.nonce;
    const outcome = await verifyRequest(input, context());
    expectRejected(outcome, 422, [
      { type: 'missing', loc: ['header', 'signature'], msg: 'Field required', input: null },
      { type: 'missing', loc: ['header', 'nonce'], msg: 'Field required', input: null },
    ]);
  });

  it('malformed header values → 401, never a throw', async () => {
    const cases: [string, string, string][] = [
      ['signature', '0xzz', BAD_SIG],
      ['signature', '', BAD_SIG],
      ['signature', `0x${'00'.repeat(64)}`, BAD_SIG],
      ['signature', `0x${'ff'.repeat(64)}`, BAD_SIG],
      ['validator-hotkey', 'not-an-address', BAD_SIG],
      ['validator-hotkey', '', BAD_SIG],
      ['nonce', '١٢٣', BAD_NONCE],
    ];
    for (const [name, value, detail] of cases) {
      const input = signedPost();
      input.headers[name] = value;
      expectRejected(await verifyRequest(input, context()), 401, detail);
    }
    const repeated = signedPost();
    (repeated.headers as Record<string, string | string[]>).nonce = [repeated.headers.nonce as string, repeated.headers.nonce as string];
    // Joined as "n, n": the timestamp still parses, the signed message no longer matches.
    expectRejected(await verifyRequest(repeated, context()), 401, BAD_SIG);
  });

  it('oversized body → 413 before any signature work', async () => {
    const input = signedPost({ body: JSON.stringify({ blob: 'x'.repeat(2048) }) });
    expectRejected(await verifyRequest(input, context({ maxBodyBytes: 1024 })), 413, 'Request body too large');
  });

  it('a failing stake lookup → 503, and a full nonce store → 503 rather than forgetting a live nonce', async () => {
    expectRejected(await verifyRequest(signedPost(), context({ lookupStake: () => Promise.reject(new Error('chain down')) })), 503, 'Metagraph unavailable, try again later');
    const ctx = context({ nonceStore: new NonceStore({ maxEntries: 1 }) });
    expect((await verifyRequest(signedPost(), ctx)).ok).toBe(true);
    expectRejected(await verifyRequest(signedPost(), ctx), 503, 'Too many requests in flight, try again later');
  });

  it('lets exactly one of two concurrent requests with the same nonce through', async () => {
    const ctx = context({ lookupStake: async () => ({ found: true, stake: 5000 }) });
    const input = signedPost();
    const outcomes = await Promise.all([verifyRequest(input, ctx), verifyRequest(input, ctx), verifyRequest(input, ctx)]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    for (const o of outcomes.filter((x) => !x.ok)) expectRejected(o, 401, BAD_NONCE);
  });
});

describe('verifyRequest under random mutation', () => {
  type Target = 'validator-hotkey' | 'miner-hotkey' | 'nonce' | 'signature' | 'body' | 'method';
  const target = fc.constantFrom<Target>('validator-hotkey', 'miner-hotkey', 'nonce', 'signature', 'body', 'method');
  const edit = fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('replace' as const), with: fc.string({ unit: 'binary', maxLength: 140 }) }),
    fc.record({ op: fc.constant('drop' as const) }),
  );
  type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;

  function apply(bytes: Buffer, e: Edit): Buffer | null {
    const at = (n: number) => (bytes.length === 0 ? 0 : n % bytes.length);
    switch (e.op) {
      case 'flip': {
        if (bytes.length === 0) return bytes;
        const out = Buffer.from(bytes);
        out[at(e.at)] = (out[at(e.at)] as number) ^ (1 << e.bit);
        return out;
      }
      case 'insert':
        return Buffer.concat([bytes.subarray(0, at(e.at)), Buffer.from([e.byte]), bytes.subarray(at(e.at))]);
      case 'delete':
        return Buffer.concat([bytes.subarray(0, at(e.at)), bytes.subarray(at(e.at) + 1)]);
      case 'truncate':
        return bytes.subarray(0, at(e.at));
      case 'replace':
        return Buffer.from(e.with, 'utf8');
      case 'drop':
        return null;
    }
  }

  /** What a request asserts, once the encodings fiber treats as equal (hex case, 0x) are normalised. */
  function meaning(input: VerifyInput): string {
    const h = input.headers as Record<string, string | undefined>;
    const sig = h.signature === undefined ? undefined : h.signature.replace(/^0x/, '').toLowerCase();
    const isGet = input.method === 'GET' || input.method === 'HEAD';
    return JSON.stringify([h['validator-hotkey'], h['miner-hotkey'], h.nonce, sig, isGet, isGet ? '' : Buffer.from(input.rawBody ?? []).toString('hex')]);
  }

  it('accepts the unmutated control and no mutation among 3,000; none throws', async () => {
    const control = signedPost();
    expect((await verifyRequest(control, context())).ok).toBe(true);
    const controlGet = signedGet();
    expect((await verifyRequest(controlGet, context())).ok).toBe(true);
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(fc.tuple(target, edit), { minLength: 1, maxLength: 3 }), async (useGet, edits) => {
        const base = useGet ? controlGet : control;
        const headers = { ...base.headers } as Record<string, string>;
        let body: Buffer | null = base.rawBody ? Buffer.from(base.rawBody) : null;
        let method = base.method;
        for (const [t, e] of edits) {
          if (t === 'method') {
            method = method === 'GET' ? 'POST' : 'GET';
          } else if (t === 'body') {
            body = apply(body ?? Buffer.alloc(0), e);
          } else {
            const next = apply(Buffer.from(headers[t] ?? '', 'latin1'), e);
            if (next === null) delete headers[t];
            else headers[t] = next.toString('latin1');
          }
        }
        const mutated: VerifyInput = { headers, rawBody: body, method, path: base.path };
        fc.pre(meaning(mutated) !== meaning(base));
        tried++;
        // A fresh store each time: a refusal must come from the mutation, not from replay protection.
        const outcome = await verifyRequest(mutated, context());
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect([401, 403, 413, 422]).toContain(outcome.status);
      }),
      { numRuns: 3000, seed: 2025 },
    );
    expect(tried).toBeGreaterThan(2500);
  });
});
