/**
 * lineChartSvg: the output is well-formed SVG (resvg's strict XML parser
 * accepts it and renders it), and each polyline vertex sits where the chart's
 * own tick marks say that data point belongs (the pixel map is recovered from
 * two tick marks, not from the code under test). Rendered pixels confirm it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineChartSvg, niceTicks, formatTick, escapeXml } from '../../src/plot/line-chart.js';
import { render, ticks, axisMap, polylines } from './svg-read.js';

test('polyline vertices are where the axes put the data', () => {
  const a: [number, number][] = [[-3, -1], [-1, 0.5], [0, 2], [2.5, 7]];
  const b: [number, number][] = [[-2, 4], [1, -0.25], [3, 3]];
  const svg = lineChartSvg({ title: 'f', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: a }, { name: 'b', points: b, dashed: true }] });
  render(svg); // throws on malformed XML
  const sx = axisMap(ticks(svg, 'x'));
  const sy = axisMap(ticks(svg, 'y'));
  for (const [i, data] of [a, b].entries()) {
    const [line, ...rest] = polylines(svg, i);
    assert.equal(rest.length, 0);
    assert.equal(line!.length, data.length);
    line!.forEach(([px, py], k) => {
      assert.ok(Math.abs(px - sx(data[k]![0])) < 0.02, `x of point ${k} of series ${i}: ${px} vs ${sx(data[k]![0])}`);
      assert.ok(Math.abs(py - sy(data[k]![1])) < 0.02, `y of point ${k} of series ${i}: ${py} vs ${sy(data[k]![1])}`);
    });
  }
  assert.match(svg, /<g data-series="1" stroke="[^"]+" stroke-dasharray=/);
  assert.doesNotMatch(svg, /<g data-series="0"[^>]*dasharray/);
  // y grows downwards in SVG: the larger value is higher on the page.
  assert.ok(sy(7) < sy(-1));
});

test('rendered pixels: the line is drawn in its color at a data point, and not elsewhere', () => {
  const svg = lineChartSvg({ width: 300, height: 200, series: [{ name: 'flat', points: [[0, 0], [10, 0], [10, 10]], color: '#ff0000' }] });
  const { width, pixels } = render(svg);
  const sx = axisMap(ticks(svg, 'x'));
  const sy = axisMap(ticks(svg, 'y'));
  const red = (x: number, y: number) => {
    const o = (Math.round(y) * width + Math.round(x)) * 4;
    return pixels[o]! > 200 && pixels[o + 1]! < 60 && pixels[o + 2]! < 60;
  };
  assert.ok(red(sx(5), sy(0)), 'the segment (0,0)-(10,0) passes through (5,0)');
  assert.ok(red(sx(10), sy(5)), 'the segment (10,0)-(10,10) passes through (10,5)');
  assert.ok(!red(sx(5), sy(5)), '(5,5) is off the line');
});

test('NaN and infinities break the line and do not stretch the axes', () => {
  const pts: [number, number][] = [[0, 0], [1, 1], [2, NaN], [3, 3], [4, Infinity], [5, 5], [6, 6], [-Infinity, 1]];
  const svg = lineChartSvg({ series: [{ name: 's', points: pts }] });
  render(svg);
  const lines = polylines(svg, 0);
  assert.equal(lines.length, 2, 'runs [0,1] and [5,6] are lines');
  assert.deepEqual(lines.map((l) => l.length), [2, 2]);
  assert.equal((svg.match(/<circle /g) ?? []).length, 1, 'the lone point (3,3) is a dot');
  const xt = ticks(svg, 'x').map(([, v]) => v);
  const yt = ticks(svg, 'y').map(([, v]) => v);
  assert.ok(Math.max(...xt) <= 6 && Math.min(...xt) >= 0, `x ticks ${xt}`);
  assert.ok(Math.max(...yt) <= 6.5 && yt.every(Number.isFinite), `y ticks ${yt}`);
  assert.doesNotMatch(svg, /NaN|Infinity/);
});

test('empty charts, empty series and constant series still give valid SVG', () => {
  for (const series of [[], [{ name: 'empty', points: [] }], [{ name: 'const', points: [[1, 2], [1, 2]] as [number, number][] }], [{ name: 'nan', points: [[NaN, NaN]] as [number, number][] }]]) {
    const svg = lineChartSvg({ series });
    render(svg);
    assert.doesNotMatch(svg, /NaN|Infinity/, JSON.stringify(series));
    assert.ok(ticks(svg, 'x').length >= 2 && ticks(svg, 'y').length >= 2);
  }
});

test('text is escaped: titles, labels, names and colors cannot inject markup', () => {
  const svg = lineChartSvg({ title: 'a < b & "c"', xLabel: "x'", yLabel: '<y>', series: [{ name: '</text><script>x</script>', points: [[0, 0], [1, 1]], color: '" onload="alert(1)' }] });
  render(svg);
  assert.doesNotMatch(svg, /<script>/);
  assert.doesNotMatch(svg, /onload="/);
  assert.match(svg, /a &lt; b &amp; &quot;c&quot;/);
  assert.equal(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&#39;');
});

test('ticks: 1/2/5 steps, inside the range, no float noise', () => {
  assert.deepEqual(niceTicks(0, 1, 6), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-3, 3, 7), [-3, -2, -1, 0, 1, 2, 3]);
  assert.deepEqual(niceTicks(0.1, 0.35, 4), [0.1, 0.2, 0.3]);
  assert.equal(formatTick(0.1 + 0.2), '0.3');
  assert.equal(formatTick(-0), '0');
  assert.equal(formatTick(2e-6), '2.0e-6');
  assert.equal(formatTick(1234567), '1.2e6');
});
