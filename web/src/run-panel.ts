/** Running the current model on each chosen EP: timings and output statistics. */
import { runModel, tensorStats, isTreluError, type EpRunResult } from '../../src/web/index.js';
import { $, el, table, fmt, showError, busy } from './dom.js';
import { state, current } from './state.js';
import { backends, feedsFor, chosenEps, dims, seed } from './runtime.js';

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
    table(['EP', 'output', 'type', 'shape', 'min', 'max', 'mean', 'NaN', '±inf', 'first values'], results.flatMap((r) => Object.entries(r.outputs).map(([name, t]) => {
      const s = tensorStats(t, 4);
      const f = (v: number | null) => (v === null ? '-' : fmt(v));
      return [r.ep, name, s.type, `[${s.dims.join('×')}]`, f(s.min), f(s.max), f(s.mean), String(s.nan), String(s.inf), s.first.map((v) => (typeof v === 'number' ? fmt(v) : v)).join(', ')];
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
