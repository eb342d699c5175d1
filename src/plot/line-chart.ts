/**
 * A line chart as an SVG string: axes with "nice" ticks, a legend, one
 * polyline per finite run of each series. Pure and browser-safe (no DOM, no
 * Node), so `trelu plot`, the training loss plot and the web page share it.
 *
 * A non-finite coordinate (NaN, ±Infinity) breaks a series' line there: the
 * points on either side are drawn as separate polylines (a run of one point
 * is drawn as a dot), and non-finite values never widen the axes.
 */

export interface LineSeries {
  name: string;
  points: [number, number][];
  dashed?: boolean;
  /** Any SVG paint (`#1f77b4`, `tomato`); a palette color when unset. */
  color?: string;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixels; default 640 x 400. */
  width?: number;
  height?: number;
  series: LineSeries[];
}

/** Tableau's 10 colors: distinct for the usual handful of series, and readable on white. */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
/** Average glyph width of the 12 px legend font, for laying the legend out without measuring text. */
const CHAR_W = 7;

/** Text and attribute values, escaped for XML. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Ticks at 1, 2 or 5 times a power of ten inside [lo, hi]: the step whose count is nearest `target`, and at least two. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  const mag = 10 ** Math.floor(Math.log10((hi - lo) / Math.max(1, target - 1)));
  let best: { first: number; last: number; step: number } | undefined;
  for (const m of [0.1, 0.2, 0.5, 1, 2, 5, 10, 20]) {
    const step = m * mag;
    const first = Math.ceil(lo / step - 1e-9);
    const last = Math.floor(hi / step + 1e-9);
    const n = last - first + 1;
    if (n < 2) continue;
    if (!best || Math.abs(n - target) < Math.abs(best.last - best.first + 1 - target)) best = { first, last, step };
  }
  if (!best) return [lo, hi];
  // Multiply instead of accumulating, so ticks are as exact as the step; +0 turns -0 into 0.
  const ticks: number[] = [];
  for (let k = best.first; k <= best.last; k++) ticks.push(Number((k * best.step).toPrecision(12)) + 0);
  return ticks;
}

/** A tick label: no float noise (0.30000000000000004), exponents only for very large or small values. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(1).replace('e+', 'e');
  return String(Number(v.toPrecision(6)));
}

interface Range { lo: number; hi: number }

/** The extent of the finite values, padded by `pad` of it; a single value or no value gets a unit-wide range. */
function domain(values: number[], pad: number): Range {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return { lo: 0, hi: 1 };
  if (lo === hi) return { lo: lo - (Math.abs(lo) || 1) / 2, hi: hi + (Math.abs(hi) || 1) / 2 };
  const p = (hi - lo) * pad;
  return { lo: lo - p, hi: hi + p };
}

/** Splits points into runs of finite points. */
function finiteRuns(points: [number, number][]): [number, number][][] {
  const runs: [number, number][][] = [];
  let run: [number, number][] = [];
  for (const p of points) {
    if (Number.isFinite(p[0]) && Number.isFinite(p[1])) run.push(p);
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  return runs;
}

const num = (v: number) => String(Math.round(v * 100) / 100);

export function lineChartSvg(opts: LineChartOptions): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  const series = opts.series;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  // x spans the data exactly; y gets 5% margins so that lines at the extremes stay off the frame.
  // Every finite point is inside, so nothing needs clipping (and no clip id can clash between charts in one page).
  const xd = domain(xs, 0);
  const yd = domain(ys, 0.05);

  // Legend: entries flow left to right under the title, wrapping to more rows as needed.
  const entryW = series.map((s) => 34 + CHAR_W * s.name.length);
  const legendRows: number[][] = [];
  let rowW = Infinity;
  series.forEach((_, i) => {
    if (rowW + entryW[i]! > width - 80) {
      legendRows.push([]);
      rowW = 0;
    }
    legendRows[legendRows.length - 1]!.push(i);
    rowW += entryW[i]! + 12;
  });
  const top = (opts.title ? 34 : 12) + legendRows.length * 18 + 8;
  const left = opts.yLabel ? 70 : 54;
  const bottom = opts.xLabel ? 50 : 32;
  const right = 20;
  const plotW = Math.max(10, width - left - right);
  const plotH = Math.max(10, height - top - bottom);
  const xTicks = niceTicks(xd.lo, xd.hi, Math.max(3, Math.round(plotW / 80)));
  const yTicks = niceTicks(yd.lo, yd.hi, Math.max(3, Math.round(plotH / 50)));
  const sx = (x: number) => left + ((x - xd.lo) / (xd.hi - xd.lo)) * plotW;
  const sy = (y: number) => top + plotH - ((y - yd.lo) / (yd.hi - yd.lo)) * plotH;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  if (opts.title) out.push(`<text class="title" x="${num(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`);

  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">');
  for (const t of xTicks) out.push(`<line x1="${num(sx(t))}" y1="${top}" x2="${num(sx(t))}" y2="${top + plotH}"/>`);
  for (const t of yTicks) out.push(`<line x1="${left}" y1="${num(sy(t))}" x2="${left + plotW}" y2="${num(sy(t))}"/>`);
  out.push('</g>');

  out.push('<g class="x-axis">');
  for (const t of xTicks) {
    out.push(`<g class="tick" data-value="${t}"><line x1="${num(sx(t))}" y1="${top + plotH}" x2="${num(sx(t))}" y2="${top + plotH + 5}" stroke="#333"/>`
      + `<text x="${num(sx(t))}" y="${top + plotH + 18}" text-anchor="middle">${escapeXml(formatTick(t))}</text></g>`);
  }
  if (opts.xLabel) out.push(`<text class="label" x="${num(left + plotW / 2)}" y="${height - 10}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  out.push('</g>');

  out.push('<g class="y-axis">');
  for (const t of yTicks) {
    out.push(`<g class="tick" data-value="${t}"><line x1="${left - 5}" y1="${num(sy(t))}" x2="${left}" y2="${num(sy(t))}" stroke="#333"/>`
      + `<text x="${left - 8}" y="${num(sy(t) + 4)}" text-anchor="end">${escapeXml(formatTick(t))}</text></g>`);
  }
  if (opts.yLabel) out.push(`<text class="label" transform="translate(16 ${num(top + plotH / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`);
  out.push('</g>');

  out.push(`<rect class="frame" x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<g class="series" fill="none" stroke-linejoin="round">`);
  series.forEach((s, i) => {
    const color = escapeXml(s.color ?? PALETTE[i % PALETTE.length]!);
    // Dashed lines are drawn thinner, so a solid line under one (equal functions) still shows.
    const dash = s.dashed ? ' stroke-dasharray="7 5" stroke-width="1.6"' : ' stroke-width="2.6"';
    out.push(`<g data-series="${i}" stroke="${color}"${dash}>`);
    for (const run of finiteRuns(s.points)) {
      if (run.length === 1) out.push(`<circle cx="${num(sx(run[0]![0]))}" cy="${num(sy(run[0]![1]))}" r="2.5" fill="${color}" stroke="none"/>`);
      else out.push(`<polyline points="${run.map(([x, y]) => `${num(sx(x))},${num(sy(y))}`).join(' ')}"/>`);
    }
    out.push('</g>');
  });
  out.push('</g>');

  out.push('<g class="legend">');
  legendRows.forEach((row, r) => {
    let x = left;
    const y = (opts.title ? 34 : 12) + r * 18 + 9;
    for (const i of row) {
      const s = series[i]!;
      const color = escapeXml(s.color ?? PALETTE[i % PALETTE.length]!);
      out.push(`<line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="7 5"' : ''}/>`
        + `<text x="${x + 32}" y="${y + 4}">${escapeXml(s.name)}</text>`);
      x += entryW[i]! + 12;
    }
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}
