import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/schema.ts';
import { registerApi } from './api.ts';

const home = mkdtempSync(join(tmpdir(), 'god-api-cli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('god api', () => {
  it('serves the API on the project database until stopped, then closes everything', async () => {
    const previous = process.env.GOD_HOME;
    const previousLevel = process.env.GOD_LOG_LEVEL;
    process.env.GOD_HOME = home;
    process.env.GOD_LOG_LEVEL = 'silent';
    let stop: () => void = () => {};
    const stopped = new Promise<void>((r) => (stop = r));
    let printed = '';
    const program = new Command().exitOverride();
    registerApi(program, { out: (t) => (printed += t), untilStopped: () => stopped, loadConfig: () => defaultConfig });
    try {
      const run = program.parseAsync(['node', 'god', 'api', '--port', '0', '--no-sandbox', '--no-webhooks']);
      for (let i = 0; i < 600 && !printed.includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
      const url = /listening on (http:\/\/\S+)/.exec(printed)?.[1];
      expect(url).toBeDefined();
      expect(printed).toContain('reward-function validation: off');
      expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'healthy' });
      expect((await fetch(`${url}/v1/leaderboard`)).status).toBe(401);
      expect((await fetch(`${url}/docs`)).status).toBe(200);
      stop();
      await run;
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      if (previous === undefined) delete process.env.GOD_HOME;
      else process.env.GOD_HOME = previous;
      if (previousLevel === undefined) delete process.env.GOD_LOG_LEVEL;
      else process.env.GOD_LOG_LEVEL = previousLevel;
    }
  });

  it('refuses a bad port', () => {
    const program = new Command().exitOverride();
    program.configureOutput({ writeErr: () => {} });
    registerApi(program, { out: () => {}, untilStopped: async () => {} });
    expect(() => program.parse(['node', 'god', 'api', '--port', '70000'])).toThrow(/--port: expected 0..65535/);
  });
});
