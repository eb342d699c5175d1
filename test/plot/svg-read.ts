/** Reading charts made by lineChartSvg back: rendering (strict XML parse), ticks, polylines. */
import { Resvg } from '@resvg/resvg-js';

export function render(svg: string): { width: number; height: number; pixels: Buffer } {
  const r = new Resvg(svg, { font: { loadSystemFonts: false } }).render();
  return { width: r.width, height: r.height, pixels: r.pixels };
}

/** The [pixel, value] pairs of an axis's ticks, read from the SVG text. */
export function ticks(svg: string, axis: 'x' | 'y'): [number, number][] {
  const group = svg.split(`<g class="${axis}-axis">`)[1]!.split(axis === 'x' ? '<g class="y-axis">' : '<rect class="frame"')[0]!;
  return [...group.matchAll(/<g class="tick" data-value="([^"]+)"><line x1="([^"]+)" y1="([^"]+)"/g)].map((m) => [Number(axis === 'x' ? m[2] : m[3]), Number(m[1])]);
}

/** value -> pixel from the first and last tick. */
export function axisMap(t: [number, number][]): (v: number) => number {
  const [p0, v0] = t[0]!;
  const [p1, v1] = t[t.length - 1]!;
  return (v) => p0 + ((v - v0) * (p1 - p0)) / (v1 - v0);
}

export function polylines(svg: string, series: number): [number, number][][] {
  const group = svg.split(`<g data-series="${series}"`)[1]!.split('</g>')[0]!;
  return [...group.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]));
}

