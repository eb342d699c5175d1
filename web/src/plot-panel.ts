/**
 * The activation: f and f' of ThresholdedRelu from the real kernels
 * (reference, WebAssembly SIMD, and onnxruntime-web's wasm and webgpu EPs),
 * with the alpha slider, next to max(0, x - alpha) and max(x, alpha); and how
 * far each kernel is from the reference kernel on the same points.
 */
import { activationPlotSvg, samplePoints, sampleKernel, referenceKernel, simdKernel, epKernel, type ActivationKernel, type ActivationSamples } from '../../src/web/index.js';
import { $, el, table, fmt, showError } from './dom.js';
import { backends } from './runtime.js';

const kernels: Record<string, ActivationKernel> = {
  reference: referenceKernel,
  simd: simdKernel,
  wasm: epKernel(backends.get('wasm')),
  webgpu: epKernel(backends.get('webgpu')),
};

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export interface PlotState { alpha: number; rows: { kernel: string; f: number; df: number; error?: string }[] }
export const plotState: { last?: PlotState } = {};

async function draw(alpha: number): Promise<void> {
  const chosen = [...document.querySelectorAll<HTMLInputElement>('input[name=kernel]:checked')].map((c) => c.value);
  const x = samplePoints(-3, 3, 241, [alpha]);
  const ref = await sampleKernel(referenceKernel, x, alpha);
  const samples: (ActivationSamples & { label: string })[] = [];
  const rows: PlotState['rows'] = [];
  for (const name of chosen) {
    try {
      const s = name === 'reference' ? ref : await sampleKernel(kernels[name]!, x, alpha);
      samples.push({ ...s, label: `${name} α=${alpha}` });
      rows.push({ kernel: name, f: maxDiff(s.f, ref.f), df: maxDiff(s.df, ref.df) });
    } catch (e) {
      rows.push({ kernel: name, f: NaN, df: NaN, error: (e as Error).message });
    }
  }
  $('plot').innerHTML = activationPlotSvg({ samples, lookAlikeAlphas: [alpha], panelWidth: 520, panelHeight: 340 });
  $('plot-table').replaceChildren(table(['kernel', 'max |f − reference|', "max |f′ − reference′|", ''], rows.map((r) => [r.kernel, r.error ? '-' : fmt(r.f), r.error ? '-' : fmt(r.df), r.error ? el('span', { class: 'error' }, r.error) : el('span', { class: r.f === 0 && r.df === 0 ? 'ok' : 'error' }, r.f === 0 && r.df === 0 ? '✓ identical' : '✗ differs')])));
  plotState.last = { alpha, rows };
  $('plot').dataset.alpha = String(alpha);
}

export function setupPlotPanel(): void {
  const slider = $('alpha') as HTMLInputElement;
  let running = false;
  let pending = false;
  const redraw = async () => {
    if (running) {
      pending = true;
      return;
    }
    running = true;
    try {
      do {
        pending = false;
        const alpha = Number(slider.value);
        $('alpha-value').textContent = String(alpha);
        await draw(alpha);
      } while (pending);
    } catch (e) {
      showError($('plot-table'), e);
    } finally {
      running = false;
    }
  };
  slider.addEventListener('input', () => void redraw());
  for (const c of document.querySelectorAll('input[name=kernel]')) c.addEventListener('change', () => void redraw());
  void redraw();
}
