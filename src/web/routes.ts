/**
 * The dashboard's routes on the API server: the page at `/dashboard/` (and `/` redirecting there), its script
 * (bundled on first request) and stylesheet, a public config document (limits the create form checks), and two
 * read routes the API lacks (network nodes + weights, score history) behind a customer key. Nothing is loaded
 * from elsewhere: the Content-Security-Policy allows only this origin.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ApiContext } from '../api/context.ts';
import type { Chain } from '../chain/types.ts';
import { HttpError } from '../http/errors.ts';
import { route, type RouteDefinition } from '../http/route.ts';
import { dashboardBundle } from './bundle.ts';
import { chainWeights, networkNodes, scoreHistory } from './data.ts';
import { previewNamedDataset } from './dataset-preview.ts';

export interface DashboardOptions {
  /** Reads the weights the validator set (the chain's `Weights`); without it the network page shows none. */
  chain?: Pick<Chain, 'getUid' | 'getWeights'>;
  /** The validator whose weights are shown and which node is marked as the validator. */
  validatorHotkey?: string;
  /** Suggestions in the create form (e.g. the devnet's local models and datasets). */
  baseModels?: readonly string[];
  datasets?: readonly string[];
}

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const TAGS = ['dashboard'];

export const networkViewSchema = z.object({
  netuid: z.number().int(),
  validator_hotkey: z.string().nullable(),
  nodes: z.array(
    z.object({
      uid: z.number().int(),
      hotkey: z.string(),
      coldkey: z.string(),
      stake: z.number(),
      alpha_stake: z.number(),
      tao_stake: z.number(),
      incentive: z.number().nullable(),
      trust: z.number().nullable(),
      vtrust: z.number().nullable(),
      ip: z.string(),
      port: z.number().int(),
      is_validator: z.boolean(),
    }),
  ),
  weights: z
    .object({
      setter_uid: z.number().int(),
      weights: z.array(z.object({ uid: z.number().int(), hotkey: z.string().nullable(), weight: z.number(), share: z.number() })),
    })
    .nullable(),
});

export const datasetPreviewSchema = z.object({
  dataset: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.unknown())),
});

export const scoreHistorySchema = z.array(
  z.object({
    hotkey: z.string(),
    points: z.array(z.object({ task_id: z.string(), at: z.string(), quality_score: z.number(), task_type: z.string() })),
  }),
);

export function dashboardRoutes(ctx: ApiContext, options: DashboardOptions = {}): RouteDefinition[] {
  const html = asset('index.html');
  const css = asset('app.css');
  return [
    route({
      method: 'GET',
      url: '/',
      hidden: true,
      summary: 'Redirects to the dashboard',
      handler: ({ reply }) => reply.redirect('/dashboard/', 302),
    }),
    route({
      method: 'GET',
      url: '/dashboard',
      hidden: true,
      summary: 'Redirects to the dashboard',
      handler: ({ reply }) => reply.redirect('/dashboard/', 301),
    }),
    route({
      method: 'GET',
      url: '/dashboard/',
      hidden: true,
      responseContentType: 'text/html',
      summary: 'The web dashboard',
      handler: ({ reply }) => reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-cache').send(html),
    }),
    route({
      method: 'GET',
      url: '/dashboard/app.css',
      hidden: true,
      responseContentType: 'text/css',
      summary: 'The dashboard stylesheet',
      handler: ({ reply }) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(css),
    }),
    route({
      method: 'GET',
      url: '/dashboard/app.js',
      hidden: true,
      responseContentType: 'text/javascript',
      summary: 'The dashboard script (bundled from src/web/client on first request)',
      handler: async ({ reply, request }) => {
        const bundle = await dashboardBundle().catch((err: unknown) => {
          ctx.log.error({ err }, 'dashboard bundle failed');
          throw new HttpError(500, 'The dashboard script could not be built; see the server log.');
        });
        if (request.headers['if-none-match'] === bundle.etag) return reply.code(304).send();
        return reply.type('text/javascript; charset=utf-8').header('etag', bundle.etag).header('cache-control', 'no-cache').send(bundle.code);
      },
    }),
    route({
      method: 'GET',
      url: '/dashboard/config.json',
      tags: TAGS,
      summary: "The dashboard's settings: the create form's limits and suggested models and datasets",
      response: z.object({
        max_hours: z.number().int(),
        image_pairs: z.object({ min: z.number().int(), max: z.number().int() }),
        base_models: z.array(z.string()),
        datasets: z.array(z.string()),
        netuid: z.number().int(),
      }),
      handler: () => ({
        max_hours: ctx.rules.maxHoursToComplete,
        image_pairs: { min: ctx.config.synth.imagePairsMin, max: ctx.config.synth.imagePairsMax },
        base_models: [...(options.baseModels ?? [])],
        datasets: [...(options.datasets ?? [])],
        netuid: ctx.netuid,
      }),
    }),
    route({
      method: 'GET',
      url: '/dashboard/api/network',
      auth: 'customer',
      tags: TAGS,
      response: networkViewSchema,
      summary: "The metagraph's nodes with stakes, and the weights the validator last set on the chain",
      handler: async () => {
        const validator = options.validatorHotkey ?? null;
        const nodes = await networkNodes(ctx.db, ctx.netuid, validator);
        const weights = options.chain && validator ? await chainWeights(options.chain, ctx.netuid, validator, nodes).catch(() => null) : null;
        return { netuid: ctx.netuid, validator_hotkey: validator, nodes, weights };
      },
    }),
    route({
      method: 'GET',
      url: '/dashboard/api/score-history',
      auth: 'customer',
      tags: TAGS,
      query: z.object({ days: z.coerce.number().int().min(1).max(3650).default(30) }),
      response: scoreHistorySchema,
      summary: "Each miner's quality scores on successful tasks over time (for the leaderboard's charts)",
      handler: ({ query }) => scoreHistory(ctx.db, ctx.netuid, new Date(ctx.clock.now() - query.days * 86_400_000)),
    }),
    route({
      method: 'GET',
      url: '/dashboard/api/dataset-preview',
      auth: 'customer',
      tags: TAGS,
      query: z.object({ dataset: z.string().min(1).max(300), rows: z.coerce.number().int().min(1).max(20).default(5) }),
      response: datasetPreviewSchema,
      summary: 'The first rows and the columns of a named dataset, for the create form\'s column mapping (built-in datasets)',
      handler: ({ query }) => {
        const preview = previewNamedDataset(query.dataset, query.rows);
        if (!preview) {
          throw new HttpError(404, `No preview for ${query.dataset}: the dashboard previews built-in datasets (god-local/*) and uploaded files; other datasets are read by the validator when it prepares the task`);
        }
        return preview;
      },
    }),
  ];
}
