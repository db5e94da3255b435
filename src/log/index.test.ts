import { afterEach, describe, expect, it } from 'vitest';
import { componentLogger, createLogger, parseLogLevel, REDACTED } from './index.ts';
import { formatPrettyLine } from './pretty.ts';

function capture(): { lines: () => Record<string, unknown>[]; stream: { write(s: string): void } } {
  const out: string[] = [];
  return {
    stream: { write: (s: string) => void out.push(s) },
    lines: () => out.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  const saved = process.env.GOD_LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.GOD_LOG_LEVEL;
    else process.env.GOD_LOG_LEVEL = saved;
  });

  it('writes one JSON object per line with name, level label, ISO time and component', () => {
    const c = capture();
    const log = createLogger({ name: 'validator', level: 'info', destination: c.stream });
    componentLogger(log, 'offers', { task_id: 't1' }).info({ n: 3 }, 'offered');
    const [line] = c.lines();
    expect(line).toMatchObject({ name: 'validator', component: 'offers', task_id: 't1', n: 3, msg: 'offered', level: 'info' });
    expect(typeof line?.time).toBe('string');
    expect(Number.isNaN(Date.parse(String(line?.time)))).toBe(false);
  });

  it('takes its level from GOD_LOG_LEVEL and filters below it', () => {
    process.env.GOD_LOG_LEVEL = 'warn';
    const c = capture();
    const log = createLogger({ name: 'x', destination: c.stream });
    log.info('hidden');
    log.warn('shown');
    expect(c.lines().map((l) => l.msg)).toEqual(['shown']);
    expect(log.level).toBe('warn');
  });

  it('rejects a bad GOD_LOG_LEVEL with a one-line error naming the variable', () => {
    process.env.GOD_LOG_LEVEL = 'loud';
    expect(() => createLogger({ name: 'x', destination: capture().stream })).toThrow(/GOD_LOG_LEVEL: invalid log level "loud"/);
    expect(parseLogLevel(' DEBUG ', 'x')).toBe('debug');
  });

  it('redacts secrets at the top level, one and two levels down, and credential headers', () => {
    const c = capture();
    const log = createLogger({ name: 'x', level: 'info', destination: c.stream });
    log.info({
      api_key: 'k0',
      account: { api_key: 'k1', name: 'alice', wallet: { seed: 'abandon abandon', mnemonic: 'm', ss58: '5Grw' } },
      cfg: { secret: 's1', password: 'p' },
      headers: { authorization: 'Bearer god_abc', signature: '0xsig', 'x-api-key': 'god_k', nonce: 'n1' },
      req: { headers: { authorization: 'Bearer z', 'content-type': 'application/json' } },
    }, 'hello');
    const [line] = c.lines();
    const text = JSON.stringify(line);
    for (const secret of ['k0', 'k1', 'abandon', '"m"', 's1', '"p"', 'god_abc', '0xsig', 'god_k', 'Bearer z']) {
      expect(text).not.toContain(secret);
    }
    expect(line).toMatchObject({
      api_key: REDACTED,
      account: { api_key: REDACTED, name: 'alice', wallet: { seed: REDACTED, mnemonic: REDACTED, ss58: '5Grw' } },
      cfg: { secret: REDACTED, password: REDACTED },
      headers: { authorization: REDACTED, signature: REDACTED, 'x-api-key': REDACTED, nonce: 'n1' },
      req: { headers: { authorization: REDACTED, 'content-type': 'application/json' } },
    });
  });

  it('redacts in child loggers bindings too', () => {
    const c = capture();
    const log = createLogger({ name: 'x', level: 'info', destination: c.stream });
    log.child({ component: 'c' }).info({ miner: { seed: '0xdeadbeef' } }, 'm');
    expect(JSON.stringify(c.lines())).not.toContain('0xdeadbeef');
  });

  it('pretty format prints time, level, name/component and the remaining fields', () => {
    const line = formatPrettyLine(
      JSON.stringify({ level: 'warn', time: '2025-08-01T12:00:01.234Z', name: 'validator', component: 'offers', msg: 'slow', ms: 12 }),
      false,
    );
    expect(line).toBe('12:00:01.234 WARN  validator/offers: slow {"ms":12}\n');
    expect(formatPrettyLine('not json', false)).toBe('not json\n');
  });
});
