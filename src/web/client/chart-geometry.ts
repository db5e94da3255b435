/**
 * Chart geometry, pure: scales, "nice" axis ticks, SVG path strings for line series and bar rectangles. The
 * dashboard draws its SVG from these; tests check the numbers without a browser.
 */

export interface Box {
  width: number;
  height: number;
  /** Room for the axes' labels. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const DEFAULT_BOX: Box = { width: 640, height: 240, left: 48, right: 12, top: 12, bottom: 28 };

export type Scale = (v: number) => number;

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  // A flat domain maps to the middle of the range instead of dividing by zero.
  if (span === 0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Round tick values (1, 2 or 5 × 10^k apart) covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  if (min > max) [min, max] = [max, min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9 + step; v += step) {
    ticks.push(Number(v.toPrecision(12)));
    if (v >= max) break;
  }
  return ticks;
}

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: readonly Point[];
}

export interface LineLayout {
  box: Box;
  xTicks: { value: number; pos: number }[];
  yTicks: { value: number; pos: number }[];
  lines: { name: string; d: string; dots: Point[] }[];
}

/** Lays out line series in `box`: both axes span every finite point, the y axis extended to nice ticks. */
export function layoutLines(series: readonly Series[], box: Box = DEFAULT_BOX, xTickCount = 6): LineLayout {
  const finite = series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  if (finite.length === 0) return { box, xTicks: [], yTicks: [], lines: series.map((s) => ({ name: s.name, d: '', dots: [] })) };
  const xs = finite.map((p) => p.x);
  const ys = finite.map((p) => p.y);
  const yTickValues = niceTicks(Math.min(...ys), Math.max(...ys));
  const yDomain: [number, number] = [yTickValues[0] ?? Math.min(...ys), yTickValues[yTickValues.length - 1] ?? Math.max(...ys)];
  const xDomain: [number, number] = [Math.min(...xs), Math.max(...xs)];
  const x = linearScale(xDomain, [box.left, box.width - box.right]);
  const y = linearScale(yDomain, [box.height - box.bottom, box.top]);
  const xTickValues = xDomain[0] === xDomain[1] ? [xDomain[0]] : Array.from({ length: xTickCount }, (_, i) => xDomain[0] + ((xDomain[1] - xDomain[0]) * i) / (xTickCount - 1));
  return {
    box,
    xTicks: xTickValues.map((value) => ({ value, pos: round(x(value)) })),
    yTicks: yTickValues.map((value) => ({ value, pos: round(y(value)) })),
    lines: series.map((s) => {
      const dots = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).map((p) => ({ x: round(x(p.x)), y: round(y(p.y)) }));
      const d = dots.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
      return { name: s.name, d, dots };
    }),
  };
}

export interface Bar {
  label: string;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Vertical bars from zero, one per value, with a gap of a fifth of a slot between them. */
export function layoutBars(values: readonly { label: string; value: number }[], box: Box = DEFAULT_BOX): { bars: Bar[]; yTicks: { value: number; pos: number }[] } {
  const max = Math.max(0, ...values.map((v) => (Number.isFinite(v.value) ? v.value : 0)));
  const ticks = niceTicks(0, max > 0 ? max : 1);
  const top = ticks[ticks.length - 1] ?? 1;
  const y = linearScale([0, top], [box.height - box.bottom, box.top]);
  const slot = values.length > 0 ? (box.width - box.left - box.right) / values.length : 0;
  const bars = values.map((v, i) => {
    const value = Number.isFinite(v.value) ? Math.max(0, v.value) : 0;
    const yTop = y(value);
    return { label: v.label, value, x: round(box.left + i * slot + slot * 0.1), y: round(yTop), width: round(slot * 0.8), height: round(box.height - box.bottom - yTop) };
  });
  return { bars, yTicks: ticks.map((value) => ({ value, pos: round(y(value)) })) };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Short tick labels: 0.25, 1.5k, 2M. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}
