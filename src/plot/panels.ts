/** Charts side by side in one SVG document: each chart becomes a nested <svg> at its offset. */

function size(svg: string): { width: number; height: number } {
  const m = /^<svg [^>]*width="([\d.]+)" height="([\d.]+)"/.exec(svg);
  if (!m) throw new TypeError('panelsSvg: expected charts from lineChartSvg (a root <svg> with width and height)');
  return { width: Number(m[1]), height: Number(m[2]) };
}

export function panelsSvg(charts: readonly string[]): string {
  const sizes = charts.map(size);
  const width = sizes.reduce((w, s) => w + s.width, 0);
  const height = Math.max(0, ...sizes.map((s) => s.height));
  let x = 0;
  const inner = charts.map((svg, i) => {
    const nested = svg.replace(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /, `<svg x="${x}" y="0" `);
    x += sizes[i]!.width;
    return nested;
  });
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`, `<rect width="${width}" height="${height}" fill="#ffffff"/>`, ...inner, '</svg>'].join('\n');
}
