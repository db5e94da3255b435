import { describe, expect, it } from 'vitest';
import { formatTick, layoutBars, layoutLines, linearScale, niceTicks, type Box } from './chart-geometry.ts';

const box: Box = { width: 200, height: 100, left: 20, right: 0, top: 0, bottom: 20 };

describe('chart geometry', () => {
  it('scales linearly and maps a flat domain to the middle', () => {
    const x = linearScale([0, 10], [0, 100]);
    expect([x(0), x(5), x(10)]).toEqual([0, 50, 100]);
    expect(linearScale([3, 3], [0, 100])(3)).toBe(50);
  });

  it('picks round ticks that cover the range', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-3, 7)).toEqual([-4, -2, 0, 2, 4, 6, 8]);
    const t = niceTicks(0.013, 0.087);
    expect(t[0]).toBeLessThanOrEqual(0.013);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(0.087);
    expect(niceTicks(5, 5).length).toBeGreaterThan(1);
    expect(niceTicks(NaN, 1)).toEqual([]);
  });

  it('lays out lines inside the plot area, y growing upwards, non-finite points dropped', () => {
    const layout = layoutLines([{ name: 'a', points: [{ x: 0, y: 0 }, { x: 10, y: 1 }, { x: 5, y: NaN }] }], box);
    const line = layout.lines[0]!;
    expect(line.dots).toEqual([{ x: 20, y: 80 }, { x: 200, y: 0 }]);
    expect(line.d).toBe('M20,80 L200,0');
    expect(layout.yTicks[0]).toEqual({ value: 0, pos: 80 });
    expect(layout.xTicks[0]!.pos).toBe(20);
  });

  it('has no ticks without data', () => {
    expect(layoutLines([{ name: 'a', points: [] }], box)).toMatchObject({ xTicks: [], yTicks: [], lines: [{ d: '' }] });
  });

  it('draws bars from zero with heights proportional to the values', () => {
    const { bars } = layoutBars([{ label: 'a', value: 1 }, { label: 'b', value: 0.5 }, { label: 'c', value: -1 }], box);
    expect(bars[0]!.height).toBe(80);
    expect(bars[1]!.height).toBe(40);
    expect(bars[2]!.height).toBe(0);
    expect(bars[0]!.y + bars[0]!.height).toBe(80);
    expect(bars[1]!.x).toBeGreaterThan(bars[0]!.x + bars[0]!.width);
  });

  it('formats tick labels short', () => {
    expect([formatTick(0.25), formatTick(1500), formatTick(2_000_000), formatTick(1 / 3)]).toEqual(['0.25', '1.5k', '2M', '0.333']);
  });
});
