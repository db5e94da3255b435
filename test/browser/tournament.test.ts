/**
 * The tournament page in a real browser: a text tournament with sixteen miners (more than 14, so the first round plays groups) is run to completion by the
 * tournament modules (the harness of test/tournament: fake trainer, loopback miners, known losses), then the
 * dashboard shows its bracket — group round, knockout pairs, the boss round — and per-task results.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createApiServer, type ApiServer } from '../../src/api/index.ts';
import { createAccountWithKey, SqlApiKeyStore } from '../../src/auth/index.ts';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { initCrypto } from '../../src/keys/keypair.ts';
import { registerTournamentRoutes } from '../../src/tournament/api.ts';
import { BURN, harness, NETUID, tick, tournamentRows, type Harness } from '../tournament/support.ts';
import { HAVE_CHROMIUM, launchBrowser, screenshot, watchPageErrors } from './support.ts';

let t: TestDb;
let h: Harness;
let api: ApiServer;
let base: string;
let key: string;
let browser: Browser | undefined;

// Lower loss is better: miner 0 is best, the burn (defending champion) worst.
const loss = (hotkey: string, taskType: string) => {
  const l = hotkey === BURN ? 9 : 1 + Number(/5Miner(\d+)/.exec(hotkey)?.[1] ?? 80) / 10;
  return taskType === 'GrpoTask' ? 10 - l : l;
};

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  await initCrypto();
  t = await openTestDb('pglite');
  h = await harness({ db: t.db, miners: 16 });
  for (let i = 0; i < 80 && (await tournamentRows(t.db))[0]?.status !== 'completed'; i++) {
    await tick(h.ctx, loss);
    await h.clock.advance(h.ctx.rules.loopIntervalSeconds * 1000);
  }
  key = (await createAccountWithKey(new SqlApiKeyStore(t.db), 'viewer', ['customer'])).key;
  api = createApiServer({ db: t.db, clock: h.clock, logRequests: false, webhooks: false, netuid: NETUID });
  // The API server may register the tournament routes itself; where it does not yet, the test does.
  if (!api.server.app.hasRoute({ method: 'GET', url: '/v1/tournaments/history' })) {
    registerTournamentRoutes(api.server, { db: t.db, netuid: NETUID, clock: h.clock, trainers: h.ctx.trainers });
  }
  base = await api.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await h?.close();
  await t?.cleanup();
});

describe('dashboard: tournament page', () => {
  it.skipIf(!HAVE_CHROMIUM)('lists the tournament and shows its bracket, boss round and per-task results', async () => {
    const [row] = await tournamentRows(t.db);
    expect(row?.status).toBe('completed');
    const page = await browser!.newPage({ viewport: { width: 1440, height: 1000 } });
    const errors = watchPageErrors(page);
    await page.goto(`${base}/dashboard/`);
    await page.fill('#api-key', key);
    await page.click('#api-key-save');
    await page.click('nav >> text=Tournaments');
    await page.waitForSelector('#tournaments-table tbody a');
    expect(await page.textContent('#tournaments-table')).toContain(row!.tournament_id);
    await page.click(`#tournaments-table a:text("${row!.tournament_id}")`);

    await page.waitForSelector('#bracket .round');
    const rounds = await page.$$eval('#bracket .round', (els) => els.map((e) => e.className));
    expect(rounds[0]).toContain('group');
    expect(rounds.some((c) => c.includes('knockout'))).toBe(true);
    expect(rounds[rounds.length - 1]).toContain('boss');
    // Groups list their members, with the ones who advanced marked; pairs have two sides.
    const groups = await page.$$eval('#bracket .round.group .match.group', (els) => els.map((e) => ({ members: e.querySelectorAll('li').length, advanced: e.querySelectorAll('li.advanced').length })));
    expect(groups.length).toBeGreaterThanOrEqual(1);
    expect(groups.reduce((s, g) => s + g.members, 0)).toBe(16);
    for (const g of groups) expect(g.advanced).toBeGreaterThan(0);
    const pairs = await page.$$eval('#bracket .round.knockout .match.pair', (els) => els.map((e) => e.querySelectorAll('li').length));
    expect(pairs.length).toBeGreaterThan(0);
    for (const n of pairs) expect(n).toBe(2);
    const boss = page.locator('#bracket .round.boss .match.boss');
    expect(await boss.count()).toBe(1);
    expect(await boss.locator('li').count()).toBe(2);
    // The winner is marked, and every task opens to its per-participant results.
    const details = await page.$$eval('#bracket details.task-results', (els) => els.length);
    expect(details).toBeGreaterThan(pairs.length);
    const firstTask = page.locator('#bracket details.task-results').first();
    await firstTask.locator('summary').click();
    expect(await firstTask.locator('tbody tr').count()).toBeGreaterThan(1);
    expect(await page.textContent('#final-scores-table')).toMatch(/\d\.\d/);
    expect(await page.locator('.who.winner').count()).toBeGreaterThan(0);

    await screenshot(page, 'tournament');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
