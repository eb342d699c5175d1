/**
 * `trelu plot`: the SVG's lines are ThresholdedRelu, max(0, x - alpha) and
 * max(x, alpha) as written by hand here (read back through the chart's own
 * ticks), the line breaks at the jump, PNG is a real PNG, and bad flags exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, tmpDir } from '../helpers.js';
import { render, ticks, axisMap, polylines } from './svg-read.js';

/** The panels of a plot: nested <svg> documents, each a chart. */
function panels(svg: string): string[] {
  return svg.split('<svg x="').slice(1);
}

/** Every vertex of a series, mapped back to data coordinates through the panel's ticks. */
function dataOf(panel: string, series: number): [number, number][][] {
  const tx = ticks(panel, 'x');
  const ty = ticks(panel, 'y');
  const sx = axisMap(tx);
  const sy = axisMap(ty);
  const inv = (f: (v: number) => number) => (p: number) => (p - f(0)) / (f(1) - f(0));
  const ix = inv(sx);
  const iy = inv(sy);
  return polylines(panel, series).map((l) => l.map(([px, py]) => [ix(px), iy(py)]));
}

test('trelu plot --out x.svg: f and the two look-alikes for alpha 1, from hand-written formulas', async () => {
  const dir = tmpDir();
  const out = path.join(dir, 'plot.svg');
  const r = await runCli('plot', '--alpha', '1', '--range', '-3,3', '--out', out);
  assert.equal(r.code, 0, r.err.join('\n'));
  const svg = fs.readFileSync(out, 'utf8');
  render(svg); // well-formed
  const [f, df] = panels(svg);
  assert.ok(f && df);
  // Pixel coordinates are rounded to 0.01 px; over ~6 data units on ~500 px that is ~1e-4 in data units.
  const tol = 0.02;
  const expectations: [number, (x: number) => number][] = [[0, (x) => (x > 1 ? x : 0)], [1, (x) => Math.max(0, x - 1)], [2, (x) => Math.max(x, 1)]];
  for (const [series, fn] of expectations) {
    const runs = dataOf(f, series);
    const pts = runs.flat();
    assert.ok(pts.length > 500, `series ${series}: ${pts.length} points`);
    // A vertex within rounding of the jump may be either side of it.
    const near = (x: number, y: number) => [x, x - 1e-3, x + 1e-3].some((xx) => Math.abs(y - fn(xx)) < tol);
    for (const [x, y] of pts) assert.ok(near(x, y), `series ${series}: f(${x}) drawn at ${y}, expected ${fn(x)}`);
    assert.ok(Math.abs(pts[0]![0] + 3) < tol && Math.abs(pts[pts.length - 1]![0] - 3) < tol, 'spans the range');
  }
  // ThresholdedRelu jumps from 0 to 1 at alpha: two runs, the first ending at (1, 0), the second starting just above (1, 1).
  const trelu = dataOf(f, 0);
  assert.equal(trelu.length, 2);
  assert.ok(Math.abs(trelu[0]!.at(-1)![0] - 1) < tol && Math.abs(trelu[0]!.at(-1)![1]) < tol);
  assert.ok(Math.abs(trelu[1]![0]![0] - 1) < tol && Math.abs(trelu[1]![0]![1] - 1) < tol);
  // The look-alikes are continuous: one run each; they are dashed, ThresholdedRelu is not.
  assert.equal(dataOf(f, 1).length, 1);
  assert.match(f, /<g data-series="1"[^>]*stroke-dasharray/);
  assert.doesNotMatch(f, /<g data-series="0"[^>]*stroke-dasharray/);
  // f': 0 up to alpha, 1 above, for all three.
  for (const series of [0, 1, 2]) {
    for (const [x, y] of dataOf(df, series).flat()) assert.ok(Math.abs(y - (x > 1 + tol ? 1 : x < 1 - tol ? 0 : y)) < tol, `f'(${x}) = ${y}`);
  }
});

test('trelu plot --out x.png: a PNG of the size the SVG asks for (2x), two alphas', async () => {
  const dir = tmpDir();
  const out = path.join(dir, 'plot.png');
  const r = await runCli('plot', '--alpha', '1', '--alpha', '0.5', '--out', out, '--json');
  assert.equal(r.code, 0, r.err.join('\n'));
  const report = JSON.parse(r.out.join('\n')) as { alphas: number[]; format: string; bytes: number };
  assert.deepEqual(report.alphas, [1, 0.5]);
  const png = fs.readFileSync(out);
  assert.equal(report.bytes, png.length);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // IHDR: width and height, big-endian, at bytes 16..24; the plot is two 560x380 panels, zoomed 2x.
  assert.equal(png.readUInt32BE(16), 2 * 1120);
  assert.equal(png.readUInt32BE(20), 2 * 380);
  assert.deepEqual(fs.readdirSync(dir), ['plot.png'], 'no temp file left');
});

test('trelu plot: bad flags exit 2 with one line and a hint, and write nothing', async () => {
  const dir = tmpDir();
  for (const args of [['--out', path.join(dir, 'a.jpg')], ['--range', '3,-3', '--out', path.join(dir, 'a.svg')], ['--alpha', 'x', '--out', path.join(dir, 'a.svg')], ['--points', '1', '--out', path.join(dir, 'a.svg')], ['--out', path.join(dir, 'no-such-dir', 'a.svg')]]) {
    const r = await runCli('plot', ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err[0]!, /^trelu: /);
    assert.match(r.err[1] ?? '', /hint:/);
  }
  assert.deepEqual(fs.readdirSync(dir), []);
});
