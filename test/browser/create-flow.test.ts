/**
 * The create flow in a real browser against a running devnet: the four steps (base model, an uploaded dataset,
 * the column mapping with its preview, hours) with their validation, then the task page following the task live
 * until the devnet's validator and miners have run it to success, with the per-miner results.
 *
 * The devnet is the in-process one of test/devnet/once.test.ts at its fastest scale (a task hour is 20 s); the
 * API with the dashboard is started on its validator's database (src/web/devnet.ts, as `god devnet` does).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureBaseModel } from '../../src/ml/zoo.ts';
import { ONCE_DATASETS, startDevnet, type Devnet } from '../../src/devnet/devnet.ts';
import { startDevnetDashboard, type DevnetDashboard } from '../../src/web/devnet.ts';
import { HAVE_CHROMIUM, launchBrowser, screenshot, watchPageErrors } from './support.ts';

const home = mkdtempSync(join(tmpdir(), 'god-browser-create-'));
let dn: Devnet | undefined;
let dash: DevnetDashboard | undefined;
let browser: Browser | undefined;
const dataFile = join(home, 'strings-instruct.json');

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  await ensureBaseModel('god-local/tinygpt-tiny', { home });
  dn = await startDevnet({
    home,
    hourSeconds: 20,
    steps: 40,
    miners: [
      { name: 'bob', uri: '//Bob', kind: 'builtin', recipe: 'aggressive' },
      { name: 'dave', uri: '//Dave', kind: 'broken' },
    ],
  });
  dash = await startDevnetDashboard(dn);
  // The customer's file: the rows of a built-in dataset, as a JSON array (what the upload step reads).
  const rows = await dn.ctx.datasets.load(ONCE_DATASETS.InstructTextTask, 'hf');
  writeFileSync(dataFile, JSON.stringify(rows));
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  await dn?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('dashboard: create a task in four steps', () => {
  it.skipIf(!HAVE_CHROMIUM)('validates each step, uploads the file, creates the task and follows it live to success', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchPageErrors(page);
    await page.goto(dash!.dashboardUrl);
    await page.fill('#api-key', dash!.customerKey);
    await page.click('#api-key-save');
    await page.click('nav >> text=New task');

    // 1. Base model (required).
    await page.waitForSelector('.stepper li.current[data-step="0"]');
    await page.click('#next');
    expect(await page.textContent('.field-error[data-field="model"]')).toMatch(/base model/);
    await page.selectOption('#task-kind', 'instruct');
    await page.fill('#model', 'god-local/tinygpt-tiny');
    await page.fill('#result-model-name', 'browser-test-model');
    await page.click('#next');

    // 2. Dataset. A named built-in dataset first: its columns and first rows come from the server for the mapping.
    await page.waitForSelector('.stepper li.current[data-step="1"]');
    await page.fill('#dataset-repo', 'god-local/strings-instruct');
    await page.click('#next');
    await page.waitForSelector('.stepper li.current[data-step="2"]');
    await page.waitForSelector('select#map-field_instruction option[value="instruction"]', { state: 'attached' });
    await page.selectOption('#map-field_instruction', 'instruction');
    await page.selectOption('#map-field_output', 'output');
    expect(await page.locator('#preview-table tbody tr').count()).toBe(3);
    await page.click('#back');
    // Then an upload (required once chosen), which the rest of the flow uses.
    await page.waitForSelector('.stepper li.current[data-step="1"]');
    await page.check('#source-upload');
    await page.click('#next');
    expect(await page.textContent('.field-error[data-field="upload"]')).toMatch(/JSON file/);
    await page.setInputFiles('#upload-file', dataFile);
    await page.waitForSelector('#upload-summary');
    expect(await page.textContent('#upload-summary')).toMatch(/4200 rows, columns .*instruction/);
    await page.click('#next');

    // 3. Columns: guessed from the file's header, previewed through the mapping.
    await page.waitForSelector('.stepper li.current[data-step="2"]');
    expect(await page.inputValue('#map-field_instruction')).toBe('instruction');
    expect(await page.inputValue('#map-field_output')).toBe('output');
    expect(await page.locator('#preview-table tbody tr').count()).toBe(3);
    await page.selectOption('#map-field_instruction', '');
    await page.click('#next');
    expect(await page.textContent('.field-error[data-field="field_instruction"]')).toMatch(/required/);
    await page.selectOption('#map-field_instruction', 'instruction');
    await screenshot(page, 'create-flow');
    await page.click('#next');

    // 4. Hours: a whole number from 1 to the API's limit.
    await page.waitForSelector('.stepper li.current[data-step="3"]');
    await page.fill('#hours', '1.5');
    await page.click('#submit');
    expect(await page.textContent('.field-error[data-field="hours"]')).toMatch(/whole number/);
    await page.fill('#hours', '1');
    expect(await page.textContent('#request-preview')).toContain('/v1/tasks/create_custom_dataset_text');
    await page.click('#submit');

    // The task page, following the event stream until the task ends.
    await page.waitForURL(/#\/tasks\/[0-9a-f-]{36}$/, { timeout: 30_000 });
    const taskId = /#\/tasks\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
    await page.waitForSelector('#stream-state:text("Live")', { timeout: 30_000 });
    // The devnet's miners are polled for progress while they train: a bar per miner, with steps and loss.
    await page.waitForSelector('#progress .progress-row', { timeout: 120_000 });
    await page.waitForSelector('#stream-state[data-ended="true"]', { timeout: 150_000 });
    await page.waitForSelector('header .badge[data-status="success"], section .badge[data-status="success"]', { timeout: 15_000 });
    await page.locator('#results-table tbody tr').nth(1).waitFor({ timeout: 15_000 });
    expect(await page.locator('#timeline li.done, #timeline li.current').allTextContents()).toEqual(expect.arrayContaining(['training', 'evaluating', 'success']));
    const events = await page.locator('#events-table tbody tr').allTextContents();
    expect(events.some((e) => e.includes('status_changed') && e.includes('→ success'))).toBe(true);
    expect(events.some((e) => e.includes('evaluation_result'))).toBe(true);
    expect(events.some((e) => e.includes('training_progress'))).toBe(true);

    // What the page shows is what the API and the database hold: an organic task of this account, succeeded.
    const results = await page.locator('#results-table tbody tr').allTextContents();
    const bob = dn!.miners.find((m) => m.spec.name === 'bob')!;
    const { rows } = await dn!.ctx.db.query<{ status: string; is_organic: boolean; account_id: string; hotkey: string; quality_score: number }>(
      `SELECT t.status, t.is_organic, t.account_id::text AS account_id, n.hotkey, n.quality_score FROM tasks t JOIN task_nodes n ON n.task_id = t.task_id WHERE t.task_id = $1 ORDER BY n.quality_score DESC`,
      [taskId],
    );
    expect(rows[0]).toMatchObject({ status: 'success', is_organic: true, account_id: dash!.accountId, hotkey: bob.hotkey });
    expect(rows[0]!.quality_score).toBeGreaterThan(0);
    expect(results[0]).toContain(bob.hotkey.slice(0, 8));
    expect(results.some((r) => r.includes('Invalid/No repo submitted'))).toBe(true);
    await screenshot(page, 'task-success');

    // The task list, the leaderboard with its score-history charts, and the network page read the same devnet.
    await page.click('nav >> text=Tasks');
    await page.waitForSelector(`#tasks-table a[href="#/tasks/${taskId}"]`);
    await page.click('nav >> text=Leaderboard');
    await page.waitForSelector('#leaderboard-table tbody tr');
    expect(await page.locator('#leaderboard-table tbody tr').count()).toBe(3);
    await page.waitForSelector('#history-charts svg.chart');
    const series = await page.locator('#history-charts svg.chart').first().locator('g.series path').evaluateAll((els) => els.map((e) => e.getAttribute('d') ?? ''));
    expect(series.filter((d) => d.startsWith('M')).length).toBe(2);
    await page.click('nav >> text=Network');
    await page.waitForSelector('#nodes-table tbody tr');
    const nodes = await page.locator('#nodes-table tbody tr').allTextContents();
    expect(nodes).toHaveLength(3);
    expect(nodes.filter((n) => n.includes('validator'))).toHaveLength(1);
    expect(await page.locator('#network-charts rect.bar').count()).toBe(2);
    expect(await page.textContent('#weights-chart')).toMatch(/set no weights yet/);
    expect(await page.textContent('#network-status')).toMatch(/jobs success\s*1/);
    await screenshot(page, 'network');
    expect(errors).toEqual([]);
    await page.close();
  }, 220_000);
});
