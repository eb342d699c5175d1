/** Running the current model on each chosen EP: timings and output statistics. */
import { runModel, isTreluError, type TensorLike, type EpRunResult } from '../../src/web/index.js';
import { $, el, table, fmt, showError, busy } from './dom.js';
import { state, current } from './state.js';
import { backends, feedsFor, chosenEps, dims, seed } from './runtime.js';

export interface Stats { min: number; max: number; mean: number; std: number; nan: number; zeros: number; elements: number }

export function stats(t: TensorLike): Stats {
  const d = t.data as ArrayLike<number>;
  let min = Infinity, max = -Infinity, sum = 0, sq = 0, nan = 0, zeros = 0, n = 0;
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (Number.isNaN(v)) { nan++; continue; }
    if (v === 0) zeros++;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
    n++;
  }
  const mean = n ? sum / n : NaN;
  return { min, max, mean, std: n ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : NaN, nan, zeros, elements: d.length };
}

async function run(): Promise<void> {
  const model = current();
  const out = $('run-result');
  if (!model) throw Object.assign(new Error('open a model first'), { hint: 'pick a file or a sample above' });
  const repeat = Number(($('repeat') as HTMLInputElement).value);
  if (!Number.isInteger(repeat) || repeat < 0 || repeat > 1000) throw Object.assign(new Error(`repeat '${repeat}' must be an integer in [0, 1000]`), { hint: 'e.g. 10' });
  const feeds = feedsFor(model.bytes);
  const results: EpRunResult[] = [];
  const failures: { ep: string; message: string }[] = [];
  out.replaceChildren(el('p', { class: 'muted' }, `running ${model.name}…`));
  for (const ep of chosenEps()) {
    try {
      results.push(await runModel(backends.get(ep), model.bytes, feeds, { repeat }));
    } catch (e) {
      if (!isTreluError(e)) throw e;
      failures.push({ ep, message: e.message + (e.hint ? ` (hint: ${e.hint})` : '') });
    }
  }
  state.lastRun = { model: model.name, dims: dims(), seed: seed(), results, failures };
  out.replaceChildren(
    el('p', {}, `${model.name}, inputs ${Object.entries(feeds).map(([k, t]) => `${k} [${t.dims.join('×')}]`).join(', ')} (seed ${seed()})`),
    table(['EP', 'median ms', 'min ms', 'max ms', 'runs'], results.map((r) => [r.ep, fmt(r.timing.medianMs, 3), fmt(r.timing.minMs, 3), fmt(r.timing.maxMs, 3), String(r.timing.runs)]), 'timing'),
    table(['EP', 'output', 'shape', 'min', 'max', 'mean', 'std', 'zeros', 'NaN'], results.flatMap((r) => Object.entries(r.outputs).map(([name, t]) => {
      const s = stats(t);
      return [r.ep, name, `[${t.dims.join('×')}]`, fmt(s.min), fmt(s.max), fmt(s.mean), fmt(s.std), `${s.zeros}/${s.elements}`, String(s.nan)];
    })), 'stats'),
    ...failures.map((f) => el('p', { class: 'error' }, `${f.ep}: ${f.message}`)),
  );
}

export function setupRunPanel(): void {
  const button = $('run-go') as HTMLButtonElement;
  button.addEventListener('click', () => void busy(button, () => run().catch((e) => showError($('run-result'), e))));
}

export function renderRunTarget(): void {
  const m = current();
  $('run-target').textContent = m ? `runs ${m.name}` : 'open a model first';
  if (!state.lastRun) $('run-result').replaceChildren();
}
