/**
 * Synthetic image datasets in the manner of the original's "style" generator (validator.md §6.4): pick an art
 * style (or, with some probability, two that an LLM judges compatible), have the LLM write one prompt per image as
 * `{"prompts": [...]}`, render each prompt, and caption each image with its prompt. The dataset prefix names the
 * style(s). The original's "person" generator is a GPU container of its own; here every model type gets style
 * data (docs/deviations.md D-synthetic-1).
 */
import { z } from 'zod';
import type { ChatMessage, ImageGenerator, LlmClient } from '../validator/ports.ts';
import { afterThinking, extractJsonObject } from '../validator/prep/prompts.ts';
import { pick, sample, type Random } from '../validator/rng.ts';
import { isBudgetExceeded } from './errors.ts';
import type { GeneratedImage, ImageRequest } from './images.ts';

/** Our own list of widely known visual styles (names only). */
export const IMAGE_STYLES: readonly string[] = [
  'Watercolor',
  'Oil Painting',
  'Charcoal Sketch',
  'Ink Wash',
  'Pixel Art',
  'Low Poly 3D',
  'Isometric Illustration',
  'Art Nouveau',
  'Art Deco',
  'Bauhaus Poster',
  'Ukiyo-e Woodblock',
  'Impressionism',
  'Pointillism',
  'Cubism',
  'Surrealism',
  'Pop Art',
  'Comic Book',
  'Manga',
  'Claymation',
  'Papercut Collage',
  'Stained Glass',
  'Mosaic',
  'Cyberpunk Neon',
  'Steampunk',
  'Vaporwave',
  'Synthwave',
  'Film Noir',
  'Vintage Travel Poster',
  'Blueprint',
  'Botanical Illustration',
  'Children\'s Book Illustration',
  'Gothic',
  'Baroque',
  'Minimalist Flat Design',
  'Graffiti',
  'Linocut Print',
  'Risograph',
  'Chalk Pastel',
  'Embroidery',
  'Photorealistic Studio Photo',
];

export interface StyleSynthSettings {
  promptModel: string;
  promptTemperature: number;
  promptMaxTokens: number;
  styleCombineProbability: number;
  styleTries: number;
  imageModel: string;
  imageSize: string;
}

export interface StyleSynthDeps {
  llm: LlmClient;
  images: { generate(request: ImageRequest): Promise<GeneratedImage> };
  random: Random;
  settings: StyleSynthSettings;
  styles?: readonly string[];
}

export function compatibilityMessages(first: string, second: string): ChatMessage[] {
  return [
    { role: 'system', content: 'You judge whether two visual art styles can be blended into one coherent style for a set of generated images.' },
    { role: 'user', content: `Styles: "${first}" and "${second}". Answer with JSON only: {"compatible": true} or {"compatible": false}.` },
  ];
}

export function promptWritingMessages(styles: readonly string[], count: number): ChatMessage[] {
  const style = styles.join(' combined with ');
  return [
    {
      role: 'system',
      content:
        'You write prompts for a text-to-image model. Every prompt describes one concrete scene in detail and names the requested style and its visual traits (technique, texture, palette). Vary the subjects widely. Answer with JSON only.',
    },
    { role: 'user', content: `Write ${count} different prompts in the style: ${style}. Answer as {"prompts": ["...", "..."]}.` },
  ];
}

const promptsAnswer = z.object({ prompts: z.array(z.string().trim().min(1)).min(1) });
const compatibleAnswer = z.object({ compatible: z.boolean() });

export class StyleImageGenerator implements ImageGenerator {
  constructor(private readonly deps: StyleSynthDeps) {}

  private async ask(messages: ChatMessage[]): Promise<Record<string, unknown>> {
    const s = this.deps.settings;
    const text = afterThinking(await this.deps.llm.chat({ model: s.promptModel, messages, temperature: s.promptTemperature, maxTokens: s.promptMaxTokens }));
    const obj = extractJsonObject(text);
    if (!obj) throw new Error(`the prompt model answered no JSON object: ${JSON.stringify(text.slice(0, 80))}`);
    return obj;
  }

  /** Two distinct styles the LLM calls compatible, or an error after `styleTries` pairs. */
  async pickStylePair(): Promise<[string, string]> {
    const styles = this.deps.styles ?? IMAGE_STYLES;
    let last = 'no pair tried';
    for (let i = 0; i < this.deps.settings.styleTries; i++) {
      const [a, b] = sample(this.deps.random, styles, 2) as [string, string];
      try {
        const verdict = compatibleAnswer.safeParse(await this.ask(compatibilityMessages(a, b)));
        if (verdict.success && verdict.data.compatible) return [a, b];
        last = verdict.success ? `${a} and ${b} judged incompatible` : 'answer had no boolean "compatible"';
      } catch (err) {
        if (isBudgetExceeded(err)) throw err;
        last = err instanceof Error ? err.message : String(err);
      }
    }
    throw new Error(`no compatible style pair in ${this.deps.settings.styleTries} tries (last: ${last})`);
  }

  async generate(count: number): Promise<{ prefix: string; pairs: { image: Uint8Array; ext: string; caption: string }[] }> {
    const s = this.deps.settings;
    const combine = this.deps.random.next() < s.styleCombineProbability;
    const styles = combine ? await this.pickStylePair() : [pick(this.deps.random, this.deps.styles ?? IMAGE_STYLES)];
    const parsed = promptsAnswer.safeParse(await this.ask(promptWritingMessages(styles, count)));
    if (!parsed.success) throw new Error(`the prompt model's answer is not {"prompts": [strings]}: ${parsed.error.issues[0]?.path.join('.') || '(root)'} ${parsed.error.issues[0]?.message ?? ''}`);
    const prompts = parsed.data.prompts.slice(0, count);
    const pairs: { image: Uint8Array; ext: string; caption: string }[] = [];
    let lastError: unknown = null;
    for (const prompt of prompts) {
      try {
        const image = await this.deps.images.generate({ prompt, model: s.imageModel, size: s.imageSize });
        pairs.push({ image: image.bytes, ext: image.ext, caption: image.revisedPrompt ?? prompt });
      } catch (err) {
        // Spending caps stop the whole dataset; one failed rendering only loses its pair.
        if (isBudgetExceeded(err)) throw err;
        lastError = err;
      }
    }
    if (pairs.length === 0 && lastError) throw lastError;
    return { prefix: styles.join('_and_'), pairs };
  }
}
