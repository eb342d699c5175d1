/**
 * `trelu plot`: f and f' of ThresholdedRelu from the reference kernel, with
 * max(0, x - alpha) and max(x, alpha) dashed, as SVG (written directly) or
 * PNG (rendered by resvg, loaded only for PNG).
 */
import path from 'node:path';
import { TreluError } from '../errors.js';
import { writeFileAtomic } from '../node/file-io.js';
import { activationPlotSvg, samplePoints, sampleKernel, referenceKernel } from '../plot/activation.js';
import { printJson, type Io } from './output.js';

export interface PlotOptions {
  alpha?: string[];
  range?: string;
  points?: string;
  out?: string;
  json?: boolean;
}

function parseNumber(s: string, what: string): number {
  const v = Number(s.trim());
  if (s.trim() === '' || !Number.isFinite(v)) throw new TreluError('E_USAGE', `${what} must be a finite number, got '${s}'`, { hint: 'for example --alpha 1 --range -3,3' });
  return v;
}

export function parseRange(s: string): [number, number] {
  const parts = s.split(',');
  if (parts.length !== 2) throw new TreluError('E_USAGE', `--range must be LO,HI, got '${s}'`, { hint: 'for example --range -3,3 (write --range=-3,3 if your shell splits it)' });
  const lo = parseNumber(parts[0]!, '--range LO');
  const hi = parseNumber(parts[1]!, '--range HI');
  if (!(lo < hi)) throw new TreluError('E_USAGE', `--range needs LO < HI, got ${lo},${hi}`, { hint: 'for example --range -3,3' });
  return [lo, hi];
}

async function renderPng(svg: string): Promise<Uint8Array> {
  let Resvg: typeof import('@resvg/resvg-js').Resvg;
  try {
    ({ Resvg } = await import('@resvg/resvg-js'));
  } catch (e) {
    throw new TreluError('E_UNSUPPORTED', `PNG output needs @resvg/resvg-js, which cannot be loaded here: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, { hint: 'write .svg instead, or run npm install' });
  }
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
}

export async function plotCommand(io: Io, opts: PlotOptions): Promise<number> {
  if (!opts.out) throw new TreluError('E_USAGE', '--out is required', { hint: 'for example --out plot.svg or --out plot.png' });
  const ext = path.extname(opts.out).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new TreluError('E_USAGE', `--out must end in .svg or .png, got '${opts.out}'`, { hint: 'for example --out plot.svg' });
  const alphas = (opts.alpha ?? ['1']).flatMap((a) => a.split(',')).map((a) => parseNumber(a, '--alpha'));
  const [lo, hi] = parseRange(opts.range ?? '-3,3');
  const n = opts.points === undefined ? 601 : parseNumber(opts.points, '--points');
  if (!Number.isInteger(n) || n < 2 || n > 100_000) throw new TreluError('E_USAGE', `--points must be an integer in [2, 100000], got ${opts.points}`, { hint: 'the default 601 is smooth at any size' });

  const x = samplePoints(lo, hi, n, alphas);
  const samples = [];
  for (const a of alphas) samples.push({ ...(await sampleKernel(referenceKernel, x, a)), label: `ThresholdedRelu(α=${a})` });
  const svg = activationPlotSvg({ samples, lookAlikeAlphas: alphas });
  const bytes = ext === '.svg' ? new TextEncoder().encode(svg + '\n') : await renderPng(svg);

  writeFileAtomic(opts.out, bytes);
  if (opts.json) printJson(io, { out: opts.out, format: ext.slice(1), bytes: bytes.length, alphas, range: [lo, hi], points: x.length, kernel: referenceKernel.name });
  else io.out(`wrote ${opts.out} (${ext.slice(1)}, ${bytes.length} bytes): f and f′ of ThresholdedRelu for alpha ${alphas.join(', ')} on [${lo}, ${hi}], reference kernel`);
  return 0;
}
