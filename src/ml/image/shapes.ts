// Procedural image/caption pairs: one filled shape of a named colour, size and position on a plain background,
// captioned in words ("a large red circle at the top left"). The caption determines the picture up to small
// jitter, so a caption-conditioned denoiser can learn the mapping; without the caption it has only the noisy
// pixels to go on — the gap the production image metric measures.
import { Rng } from '../rng.ts';
import type { RgbImage } from './png.ts';

export const SHAPES = ['circle', 'square', 'triangle', 'cross'] as const;
export const COLOURS: Record<string, readonly [number, number, number]> = {
  red: [220, 40, 40],
  green: [40, 180, 60],
  blue: [40, 80, 220],
  yellow: [240, 210, 40],
  purple: [150, 60, 190],
  cyan: [40, 200, 210],
  orange: [245, 140, 30],
  pink: [235, 100, 170],
};
export const POSITIONS: Record<string, readonly [number, number]> = {
  'top left': [0.25, 0.25], top: [0.5, 0.25], 'top right': [0.75, 0.25],
  left: [0.25, 0.5], centre: [0.5, 0.5], right: [0.75, 0.5],
  'bottom left': [0.25, 0.75], bottom: [0.5, 0.75], 'bottom right': [0.75, 0.75],
};
const SIZES = { small: 0.14, large: 0.24 } as const;
/** The built-in image task uses 'light' (paper); the image base model is pre-trained on 'dark', so a LoRA
 * has a visible distribution shift to learn, as a style LoRA does in production. */
export const BACKGROUNDS = { dark: [24, 24, 32], light: [236, 230, 218] } as const satisfies Record<string, readonly [number, number, number]>;
export type Background = keyof typeof BACKGROUNDS;

export interface ShapeSpec {
  shape: (typeof SHAPES)[number];
  colour: string;
  position: string;
  size: keyof typeof SIZES;
}

export interface CaptionedImage {
  /** a file stem for the pair: `<stem>.png` + `<stem>.txt` */
  name: string;
  image: RgbImage;
  caption: string;
  spec: ShapeSpec;
}

export function captionOf(s: ShapeSpec, detail: 'full' | 'short' = 'full'): string {
  if (detail === 'short') return `a ${s.colour} ${s.shape}`;
  const where = s.position === 'centre' ? 'in the centre' : `at the ${s.position}`;
  return `a ${s.size} ${s.colour} ${s.shape} ${where}`;
}

function inside(shape: ShapeSpec['shape'], dx: number, dy: number, r: number): boolean {
  switch (shape) {
    case 'circle': return dx * dx + dy * dy <= r * r;
    case 'square': return Math.abs(dx) <= r * 0.85 && Math.abs(dy) <= r * 0.85;
    case 'triangle': return dy <= r * 0.8 && dy >= -r && Math.abs(dx) <= ((dy + r) / 1.8) * 1.0;
    case 'cross': return (Math.abs(dx) <= r * 0.3 && Math.abs(dy) <= r) || (Math.abs(dy) <= r * 0.3 && Math.abs(dx) <= r);
  }
}

/** Renders with 4×4 supersampling (soft edges) and a small seeded jitter of position and size. */
export function renderShape(spec: ShapeSpec, size: number, rng: Rng, background: Background = 'light'): RgbImage {
  const bg = BACKGROUNDS[background];
  const [px, py] = POSITIONS[spec.position]!;
  const cx = (px + (rng.next() - 0.5) * 0.06) * size, cy = (py + (rng.next() - 0.5) * 0.06) * size;
  const r = SIZES[spec.size] * size * (0.92 + rng.next() * 0.16);
  const colour = COLOURS[spec.colour]!;
  const data = new Uint8Array(size * size * 3);
  const ss = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          if (inside(spec.shape, x + (sx + 0.5) / ss - cx, y + (sy + 0.5) / ss - cy, r)) hits++;
        }
      }
      const a = hits / (ss * ss);
      const o = (y * size + x) * 3;
      for (let k = 0; k < 3; k++) data[o + k] = Math.round(colour[k]! * a + bg[k]! * (1 - a));
    }
  }
  return { width: size, height: size, data };
}

export interface ShapeSetOptions {
  seed: number;
  count: number;
  /** pixels per side (default 32) */
  size?: number;
  /** 'short' captions name only colour and shape (the pre-training corpus of the image base model) */
  detail?: 'full' | 'short';
  background?: Background;
}

/** `count` captioned images; specs cycle through a seeded permutation of all combinations before repeating. */
export function shapeImages(opts: ShapeSetOptions): CaptionedImage[] {
  const rng = new Rng(opts.seed);
  const size = opts.size ?? 32;
  const combos: ShapeSpec[] = [];
  for (const shape of SHAPES) {
    for (const colour of Object.keys(COLOURS)) {
      for (const position of Object.keys(POSITIONS)) {
        for (const s of Object.keys(SIZES) as (keyof typeof SIZES)[]) combos.push({ shape, colour, position, size: s });
      }
    }
  }
  rng.shuffle(combos);
  const out: CaptionedImage[] = [];
  for (let i = 0; i < opts.count; i++) {
    const spec = combos[i % combos.length]!;
    out.push({
      name: `shape_${String(i).padStart(5, '0')}`,
      image: renderShape(spec, size, rng, opts.background ?? 'light'),
      caption: captionOf(spec, opts.detail ?? 'full'),
      spec,
    });
  }
  return out;
}
