/** The dashboard's SVG charts, hand-drawn from chart-geometry's layouts (no chart library). */
import { DEFAULT_BOX, formatTick, layoutBars, layoutLines, type Box, type Series } from './chart-geometry.ts';
import { h, s, type El } from './dom.ts';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export const colorOf = (i: number): string => COLORS[i % COLORS.length] ?? '#000';

function axes(box: Box, yTicks: { value: number; pos: number }[], xTicks: { label: string; pos: number }[]): El[] {
  const out: El[] = [];
  for (const t of yTicks) {
    out.push(s('line', { x1: box.left, x2: box.width - box.right, y1: t.pos, y2: t.pos, class: 'grid' }));
    out.push(s('text', { x: box.left - 6, y: t.pos + 4, 'text-anchor': 'end', class: 'tick' }, formatTick(t.value)));
  }
  for (const t of xTicks) out.push(s('text', { x: t.pos, y: box.height - box.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, t.label));
  out.push(s('line', { x1: box.left, x2: box.left, y1: box.top, y2: box.height - box.bottom, class: 'axis' }));
  out.push(s('line', { x1: box.left, x2: box.width - box.right, y1: box.height - box.bottom, y2: box.height - box.bottom, class: 'axis' }));
  return out;
}

/** Line chart with a legend; `xLabel` formats x tick values (e.g. times). */
export function lineChart(series: readonly Series[], o: { title: string; xLabel?: (v: number) => string; box?: Box }): El {
  const box = o.box ?? DEFAULT_BOX;
  const layout = layoutLines(series, box);
  const fmt = o.xLabel ?? formatTick;
  const svg = s(
    'svg',
    { viewBox: `0 0 ${box.width} ${box.height}`, class: 'chart', role: 'img', 'aria-label': o.title },
    s('title', null, o.title),
    axes(box, layout.yTicks, layout.xTicks.map((t) => ({ label: fmt(t.value), pos: t.pos }))),
    layout.lines.map((l, i) =>
      s(
        'g',
        { class: 'series', 'data-name': l.name },
        s('path', { d: l.d, fill: 'none', stroke: colorOf(i), 'stroke-width': 2 }),
        l.dots.map((p) => s('circle', { cx: p.x, cy: p.y, r: 3, fill: colorOf(i) })),
      ),
    ),
  );
  const legend = h('div', { class: 'legend' }, series.map((x, i) => h('span', null, h('i', { class: `swatch c${i % COLORS.length}` }), x.name)));
  return h('figure', { class: 'chart-box' }, h('figcaption', null, o.title), layout.xTicks.length === 0 ? h('p', { class: 'muted' }, 'No data yet.') : svg, legend);
}

/** Bar chart; bars carry their value in a tooltip. */
export function barChart(values: readonly { label: string; value: number }[], o: { title: string; box?: Box }): El {
  const box = o.box ?? DEFAULT_BOX;
  const { bars, yTicks } = layoutBars(values, box);
  const svg = s(
    'svg',
    { viewBox: `0 0 ${box.width} ${box.height}`, class: 'chart', role: 'img', 'aria-label': o.title },
    s('title', null, o.title),
    axes(box, yTicks, bars.map((b) => ({ label: b.label, pos: b.x + b.width / 2 }))),
    bars.map((b, i) => s('rect', { x: b.x, y: b.y, width: b.width, height: b.height, fill: colorOf(i), class: 'bar' }, s('title', null, `${b.label}: ${formatTick(b.value)}`))),
  );
  return h('figure', { class: 'chart-box' }, h('figcaption', null, o.title), values.length === 0 ? h('p', { class: 'muted' }, 'No data yet.') : svg);
}
