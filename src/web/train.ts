/**
 * Training in the page: the sample dataset, training artifacts built in the
 * page, and a fixed number of steps on the Trainer (src/train/trainer) over
 * an onnxruntime-web backend. On webgpu the state stays in GPU buffers
 * between steps (gpu-buffer outputs fed back as inputs). Browser-safe; the
 * Chromium test runs the same steps on onnxruntime-node to compare.
 */
import { TreluError } from '../errors.js';
import type { ModelProto } from '../onnx/proto.js';
import { encodeModel } from '../onnx/encode.js';
import type { Backend } from '../runtime/backend.js';
import { buildTrainingArtifacts, type TrainingArtifacts } from '../train/artifacts/build.js';
import type { OptimizerConfig } from '../train/optim/optimizers.js';
import { Trainer } from '../train/trainer/trainer.js';
import { toDataset, batchOf, type Dataset } from '../train/trainer/dataset.js';
import { epochOrder } from '../train/trainer/random.js';

/** gzip -> bytes, with the platform's DecompressionStream (browsers; Node 18+). */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A headerless numeric CSV whose last column is the label (the digits file's layout). */
export function parseLabelledCsv(text: string, source: string): { x: { data: Float32Array; dims: number[] }; y: { data: Float64Array; dims: number[] } } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new TreluError('E_DATA', `${source}: empty`);
  const cols = lines[0]!.split(',').length;
  const x = new Float32Array(lines.length * (cols - 1));
  const y = new Float64Array(lines.length);
  lines.forEach((line, r) => {
    const cells = line.split(',');
    if (cells.length !== cols) throw new TreluError('E_DATA', `${source}: line ${r + 1} has ${cells.length} columns, not ${cols}`);
    for (let j = 0; j < cols - 1; j++) x[r * (cols - 1) + j] = Number(cells[j]);
    y[r] = Number(cells[cols - 1]);
  });
  return { x: { data: x, dims: [lines.length, cols - 1] }, y: { data: y, dims: [lines.length] } };
}

export interface PageTrainingOptions {
  optimizer: OptimizerConfig;
  /** The model output the cross-entropy loss is on. */
  on: string;
}

/** Artifacts for a classifier: cross-entropy on `on`, the given optimizer. */
export function classifierArtifacts(model: ModelProto, o: PageTrainingOptions): TrainingArtifacts {
  return buildTrainingArtifacts(model, { lossFn: 'cross-entropy', on: o.on, optimizer: o.optimizer });
}

export async function createTrainer(a: TrainingArtifacts, backend: Backend, options: { seed?: number; keepOnDevice?: boolean } = {}): Promise<Trainer> {
  return Trainer.create({ manifest: a.manifest, trainStep: encodeModel(a.trainStep), evalModel: encodeModel(a.eval), checkpoint: a.checkpoint }, { backend, seed: options.seed ?? 0, keepOnDevice: options.keepOnDevice });
}

export function datasetFor(a: TrainingArtifacts, raw: ReturnType<typeof parseLabelledCsv>, source: string): Dataset {
  return toDataset(a.manifest, raw.x, raw.y, source);
}

export interface StepInfo { step: number; loss: number; accuracy?: number }

/**
 * `steps` optimizer steps of `batchSize` samples, in the order of epoch 0, 1, …
 * shuffled from `seed` (as trainLoop orders them): the same batches on any backend.
 */
export async function trainSteps(trainer: Trainer, ds: Dataset, o: { steps: number; batchSize: number; seed: number }, onStep?: (s: StepInfo) => void | Promise<void>): Promise<StepInfo[]> {
  const input = trainer.manifest.trainStep.inputs.find((e) => e.kind === 'data')!.name;
  const per = Math.ceil(ds.count / o.batchSize);
  const out: StepInfo[] = [];
  let order = epochOrder(ds.count, 0, o.seed, true);
  for (let k = 0; k < o.steps; k++) {
    const epoch = Math.floor(k / per);
    const pos = k % per;
    if (pos === 0 && k > 0) order = epochOrder(ds.count, epoch, o.seed, true);
    const idx = order.subarray(pos * o.batchSize, Math.min(ds.count, (pos + 1) * o.batchSize));
    const r = await trainer.step(batchOf(ds, idx, input));
    const info = { step: trainer.stepsDone, loss: r.loss, ...(r.accuracy !== undefined ? { accuracy: r.accuracy } : {}) };
    out.push(info);
    await onStep?.(info);
  }
  return out;
}

/** Loss and accuracy of the trainer's current state over the whole dataset (eval.onnx). */
export function evaluateAll(trainer: Trainer, ds: Dataset): Promise<{ loss: number; accuracy?: number; samples: number }> {
  const input = trainer.manifest.eval.inputs.find((e) => e.kind === 'data')!.name;
  return trainer.evaluate((function* () {
    for (let s = 0; s < ds.count; s += 256) yield batchOf(ds, Uint32Array.from({ length: Math.min(256, ds.count - s) }, (_, i) => s + i), input);
  })());
}
