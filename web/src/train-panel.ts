/**
 * Training in the page: the sample MLP (or the current model) on the sample
 * digits, on wasm or on webgpu with the state kept in GPU buffers between
 * steps; a live loss and accuracy chart; download the trained model and the
 * checkpoint.
 */
import { decodeModel, encodeModel, type Backend, lineChartSvg, panelsSvg, gunzip, parseLabelledCsv, classifierArtifacts, createTrainer, datasetFor, trainSteps, evaluateAll, type StepInfo } from '../../src/web/index.js';
import { $, el, fmt, download, showError, busy } from './dom.js';
import { state } from './state.js';
import { backends } from './runtime.js';

/** Where the train step's feeds and outputs lived, counted over all steps (what shows the state stayed on the GPU). */
export interface Residency { feedsOnGpu: number; feedsOnCpu: number; outputsOnGpu: number; outputsOnCpu: number }

export interface TrainState { ep: string; model: string; keepOnDevice: boolean; steps: StepInfo[]; residency: Residency; eval?: { loss: number; accuracy?: number; samples: number }; done: boolean }
export const trainState: { last?: TrainState } = {};

function number(id: string, what: string, integer: boolean): number {
  const v = Number(($(id) as HTMLInputElement).value);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) throw Object.assign(new Error(`${what} must be a positive ${integer ? 'integer' : 'number'}`), { hint: `check the ${what} field` });
  return v;
}

const location = (t: unknown) => (t as { location?: string }).location === 'gpu-buffer';

/** The backend, with every session's feeds and outputs counted by where they live. */
function observed(backend: Backend, r: Residency): Backend {
  return {
    name: backend.name,
    runtime: backend.runtime,
    init: () => backend.init(),
    async createSession(model, options) {
      const s = await backend.createSession(model, options);
      return {
        inputNames: s.inputNames,
        outputNames: s.outputNames,
        async run(feeds, fetches) {
          for (const t of Object.values(feeds)) location(t) ? r.feedsOnGpu++ : r.feedsOnCpu++;
          const out = await s.run(feeds, fetches);
          for (const t of Object.values(out)) location(t) ? r.outputsOnGpu++ : r.outputsOnCpu++;
          return out;
        },
        placement: () => s.placement(),
        release: () => s.release(),
      };
    },
  };
}

function chart(steps: StepInfo[]): string {
  const loss = steps.map((s) => [s.step, s.loss] as [number, number]);
  const acc = steps.map((s) => [s.step, s.accuracy ?? NaN] as [number, number]);
  return panelsSvg([
    lineChartSvg({ title: 'training loss (cross-entropy)', xLabel: 'step', yLabel: 'loss', width: 520, height: 300, series: [{ name: 'batch loss', points: loss }] }),
    lineChartSvg({ title: 'batch accuracy', xLabel: 'step', yLabel: 'accuracy', width: 520, height: 300, series: [{ name: 'batch accuracy', points: acc, color: '#2ca02c' }] }),
  ]);
}

async function train(): Promise<void> {
  const ep = ($('train-ep') as HTMLSelectElement).value;
  const steps = number('train-steps', 'steps', true);
  const batchSize = number('train-batch', 'batch size', true);
  const lr = number('train-lr', 'learning rate', false);
  const useCurrent = ($('train-model') as HTMLSelectElement).value === 'current';
  const out = $('train-result');
  trainState.last = undefined;
  const source = useCurrent ? state.rewritten ?? state.opened : undefined;
  if (useCurrent && !source) throw Object.assign(new Error('no model is open'), { hint: 'open one above, or train the sample MLP' });
  const modelBytes = source ? source.bytes : new Uint8Array(await (await fetch('models/mlp.onnx')).arrayBuffer());
  const modelName = source ? source.name : 'mlp.onnx';
  const proto = decodeModel(modelBytes);
  const outputName = proto.graph?.output[0]?.name ?? '';
  out.replaceChildren(el('p', { class: 'muted' }, `building training artifacts for ${modelName}…`));
  const artifacts = classifierArtifacts(proto, { on: outputName, optimizer: { kind: 'momentum', lr, momentum: 0.9 } });
  const raw = parseLabelledCsv(new TextDecoder().decode(await gunzip(new Uint8Array(await (await fetch('models/digits.csv.gz')).arrayBuffer()))), 'digits.csv.gz');
  const ds = datasetFor(artifacts, raw, 'digits.csv.gz');
  const keepOnDevice = ep === 'webgpu';
  const residency: Residency = { feedsOnGpu: 0, feedsOnCpu: 0, outputsOnGpu: 0, outputsOnCpu: 0 };
  const trainer = await createTrainer(artifacts, observed(backends.get(ep), residency), { seed: 0, keepOnDevice });
  const record: TrainState = { ep, model: modelName, keepOnDevice, steps: [], residency, done: false };
  trainState.last = record;
  const t0 = performance.now();
  try {
    await trainSteps(trainer, ds, { steps, batchSize, seed: 0 }, async (s) => {
      record.steps.push(s);
      $('train-chart').innerHTML = chart(record.steps);
      $('train-progress').textContent = `step ${s.step}/${steps}: loss ${fmt(s.loss)}${s.accuracy !== undefined ? `, batch accuracy ${fmt(s.accuracy * 100, 3)}%` : ''}`;
      await new Promise((r) => setTimeout(r, 0)); // a task boundary, so the chart paints
    });
    const ms = performance.now() - t0;
    const train = { ...residency };
    record.residency = train;
    record.eval = await evaluateAll(trainer, ds);
    const trained = encodeModel(await trainer.exportModel(proto));
    const checkpoint = await trainer.saveCheckpoint();
    const base = modelName.replace(/\.onnx$/i, '');
    const dlModel = el('button', { id: 'download-trained' }, `Download ${base}-trained.onnx`);
    dlModel.addEventListener('click', () => download(`${base}-trained.onnx`, trained));
    const dlCkpt = el('button', { id: 'download-checkpoint' }, 'Download checkpoint.safetensors');
    dlCkpt.addEventListener('click', () => download('checkpoint.safetensors', checkpoint));
    out.replaceChildren(
      el('p', {}, `${modelName} on ${ep}${keepOnDevice ? ' (parameters and optimizer state kept in GPU buffers between steps)' : ''}: ${steps} steps of ${batchSize} in ${fmt(ms / 1000, 3)} s (${fmt(ms / steps, 3)} ms/step). `
        + `On all ${record.eval.samples} digits: loss ${fmt(record.eval.loss)}${record.eval.accuracy !== undefined ? `, accuracy ${fmt(record.eval.accuracy * 100, 3)}%` : ''}.`),
      el('p', { class: 'muted' }, `train-step tensors over ${steps} steps: fed ${train.feedsOnGpu} from GPU buffers and ${train.feedsOnCpu} from the CPU; got back ${train.outputsOnGpu} in GPU buffers and ${train.outputsOnCpu} on the CPU.`),
      el('p', {}, dlModel, ' ', dlCkpt),
    );
    record.done = true;
  } finally {
    await trainer.release();
  }
}

export function setupTrainPanel(): void {
  const button = $('train-go') as HTMLButtonElement;
  button.addEventListener('click', () => void busy(button, () => train().catch((e) => showError($('train-result'), e))));
}
