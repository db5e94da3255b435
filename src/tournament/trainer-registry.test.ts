import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.ts';
import { configToJson } from '../config/format.ts';
import { loadConfig } from '../config/load.ts';
import { parseTrainerEntries, scopedTrainerHeaders, trainerClientConfig } from './trainer-registry.ts';

describe('configured trainers', () => {
  it('parses the list and names the failing entry', () => {
    expect(parseTrainerEntries([{ url: '10.0.0.5' }, { url: 'http://t2:9000', token: 'x' }])).toEqual([
      { url: '10.0.0.5', token: null },
      { url: 'http://t2:9000', token: 'x' },
    ]);
    expect(() => parseTrainerEntries([{ url: '10.0.0.5' }, { url: 'http://t/x' }])).toThrow(/^orchestrator\.trainers\[1\]\.url: must be host\[:port\]/);
    expect(() => parseTrainerEntries([{ url: 'a', tokn: 'x' }])).toThrow(/^orchestrator\.trainers\[0\]/);
    expect(() => parseTrainerEntries([{ url: '10.0.0.5' }, { url: 'http://10.0.0.5:8001' }])).toThrow(/\[1\]\.url: http:\/\/10\.0\.0\.5:8001 is listed twice/);
    expect(() => parseTrainerEntries({})).toThrow(/^orchestrator\.trainers: /);
  });

  it('sends each token only to its own trainer, the fallback to the others', () => {
    const headers = scopedTrainerHeaders(
      [
        { url: '10.0.0.5', token: 'tok-a' },
        { url: 'http://10.0.0.6:9000', token: 'tok-b' },
        { url: '10.0.0.7', token: null },
      ],
      'tok-fallback',
    );
    expect(headers('http://10.0.0.5:8001')).toEqual({ authorization: 'Bearer tok-a' });
    expect(headers('10.0.0.5:8001')).toEqual({ authorization: 'Bearer tok-a' });
    expect(headers('10.0.0.6:9000')).toEqual({ authorization: 'Bearer tok-b' });
    // Same host, other port: another trainer.
    expect(headers('10.0.0.6')).toEqual({ authorization: 'Bearer tok-fallback' });
    expect(headers('10.0.0.7')).toEqual({ authorization: 'Bearer tok-fallback' });
    expect(headers('not a host/x')).toEqual({});
    expect(scopedTrainerHeaders([{ url: '10.0.0.5', token: 'tok-a' }])('10.0.0.9')).toEqual({});
  });

  it('reads orchestrator.* from the config, the list as JSON from the environment, masked when printed', () => {
    expect(trainerClientConfig(defaultConfig)).toEqual({ trainers: [], fallbackToken: null });
    const env = { GOD_HOME: '/nonexistent-god-home', GOD_ORCHESTRATOR__TRAINERS: '[{"url":"10.0.0.5:8001","token":"secret-a"}]', GOD_ORCHESTRATOR__ENABLED: 'false' };
    const loaded = loadConfig({ env });
    const { config } = loaded;
    expect(config.orchestrator.enabled).toBe(false);
    expect(JSON.stringify(configToJson(loaded, 'orchestrator'))).not.toContain('secret-a');
    expect(trainerClientConfig(config).trainers).toEqual([{ url: '10.0.0.5:8001', token: 'secret-a' }]);
    expect(() => loadConfig({ env: { ...env, GOD_ORCHESTRATOR__TRAINERS: '[{"host":"x"}]' } })).toThrow(/GOD_ORCHESTRATOR__TRAINERS/);
  });
});
