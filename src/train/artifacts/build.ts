/**
 * Training artifacts as standard ONNX ops, for a stock InferenceSession
 * (onnxruntime-node, onnxruntime-web; any EP):
 *
 *   train_step.onnx  (data, labels, masks, lr, step, params, state, buffers)
 *                    → (loss, accuracy, params', state', buffers')
 *   eval.onnx        (data, labels, params, buffers) → (loss, accuracy, outputs)   inference mode
 *   checkpoint       params, buffers and zeroed optimizer state (safetensors)
 *   manifest         what each input and output is (see manifest.ts)
 *
 * Browser-safe: no file I/O here (src/node/training-files.ts writes the folder).
 */
import { TreluError } from '../../errors.js';
import { DataType, type ModelProto, type TensorProto } from '../../onnx/proto.js';
import { tensorToFloat32 } from '../../onnx/tensor.js';
import { Model } from '../../graph/model.js';
import { Value } from '../../graph/value.js';
import { Builder } from '../../graph/builder.js';
import { modelFromProto } from '../../graph/from-proto.js';
import { modelToProto } from '../../graph/to-proto.js';
import { eliminateDeadNodes } from '../../graph/passes.js';
import { inferModel } from '../../graph/infer/index.js';
import { upgradeOpset } from '../../rewrite/opset-upgrade.js';
import { initializersToInputs } from '../autodiff.js';
import { appendLoss } from '../loss.js';
import { appendUpdate, clipCoefficient, resolveOptimizer, stateSlots, stepScalars, type OptimizerConfig } from '../optim/optimizers.js';
import { encodeSafetensors, type NamedTensor } from '../checkpoint/safetensors.js';
import { checkpointMetadata } from '../checkpoint/metadata.js';
import { appendAccuracy, buildLossAndGradients, type LossAndGradientsOptions } from './loss-and-gradients.js';
import { toInferenceMode } from './modes.js';
import { namedOutput, tensorInfo } from './names.js';
import { f32 } from './graph-constants.js';
import { fnv1a, torchKeyOf, MANIFEST_FORMAT, MANIFEST_VERSION, type IoEntry, type Manifest, type ParamEntry } from './manifest.js';

export interface TrainingArtifactsOptions extends LossAndGradientsOptions {
  optimizer: OptimizerConfig;
  /** torch.nn.utils.clip_grad_norm_ before the update. */
  clipGradNorm?: number;
  /**
   * Gradient accumulation over N batches: the train step adds each batch's
   * gradient to an accumulator and updates (with the mean) only when its
   * `apply` input is true (the trainer sets it every N-th batch); otherwise
   * the parameters and optimizer state pass through unchanged.
   */
  accumulate?: number;
  /** For the manifest: the model file's name, and its SHA-256 if the caller has it. */
  source?: { file: string; sha256?: string };
  producerVersion?: string;
}

export interface TrainingArtifacts {
  trainStep: ModelProto;
  eval: ModelProto;
  manifest: Manifest;
  /** checkpoint.safetensors: the initial state (step 0). */
  checkpoint: Uint8Array;
}

export const ARTIFACT_FILES = { trainStep: 'train_step.onnx', eval: 'eval.onnx', checkpoint: 'checkpoint.safetensors', model: 'model.onnx' } as const;
const MIN_OPSET = 16;

const typeName = (et: number) => ({ [DataType.FLOAT]: 'float32', [DataType.INT64]: 'int64', [DataType.BOOL]: 'bool', [DataType.DOUBLE]: 'float64', [DataType.INT32]: 'int32' } as Record<number, string>)[et] ?? `onnx:${et}`;

/** A manifest entry for `v`, typed from what it carries (declared, else inferred: run inferModel first). */
function ioEntry(v: Value, kind: IoEntry['kind'], description: string, key?: string): IoEntry {
  return { name: v.name, kind, dtype: typeName(v.dtype ?? DataType.FLOAT), shape: v.shapeInfo, ...(key ? { key } : {}), description };
}

export function buildTrainingArtifacts(source: ModelProto | Model, options: TrainingArtifactsOptions): TrainingArtifacts {
  const proto = source instanceof Model ? modelToProto(source) : source;
  const optimizer = resolveOptimizer(options.optimizer);
  for (const t of proto.graph?.initializer ?? []) if ((t.dataLocation ?? 0) === 1) throw new TreluError('E_UNSUPPORTED', `initializer '${t.name}' is in external data; load it first`, { hint: 'trelu convert model.onnx inline.onnx --inline-data' });

  // --- train_step.onnx
  const m = modelFromProto(proto);
  const lg = buildLossAndGradients(m, options);
  const g = m.graph;
  const b = new Builder(m, g);
  const scalarInput = (name: string) => new Value(name, { info: tensorInfo(name, DataType.FLOAT, []) });
  const lr = scalarInput(m.valueNames.unique('lr'));
  const step = scalarInput(m.valueNames.unique('step'));
  m.valueNames.register(lr.name);
  m.valueNames.register(step.name);
  let grads = lg.params.map((p) => p.grad);
  let gradNorm: Value | undefined;
  const shapeOf = (t: TensorProto) => t.dims.map((d) => Number(d));
  const accumulate = options.accumulate ?? 1;
  if (!Number.isInteger(accumulate) || accumulate < 1) throw new TreluError('E_USAGE', `--accumulate takes an integer >= 1, not ${options.accumulate}`);
  let apply: Value | undefined;
  const accumIn: { value: Value; param: string; slot: string; key: string }[] = [];
  const accumOut: { value: Value; key: string }[] = [];
  if (accumulate > 1) {
    const applyName = m.valueNames.unique('apply');
    apply = new Value(applyName, { info: tensorInfo(applyName, DataType.BOOL, []) });
    const zero = f32(b, 0, 'accum_zero');
    grads = grads.map((gv, i) => {
      const p = lg.params[i]!;
      const name = m.valueNames.unique(`${p.name}.grad_accumulator`);
      const acc = new Value(name, { info: tensorInfo(name, DataType.FLOAT, shapeOf(p.tensor)) });
      accumIn.push({ value: acc, param: p.name, slot: 'grad_accumulator', key: `accumulate.${p.name}` });
      const total = b.op('Add', [acc, gv], { name: 'accum_total' });
      accumOut.push({ value: namedOutput(b, b.op('Where', [apply!, zero, total], { name: 'accum_next' }), `${name}.new`, DataType.FLOAT, shapeOf(p.tensor)), key: `accumulate.${p.name}` });
      return total;
    });
  }
  // The gradients the update sees are grads · gradScale: the accumulation's mean (1/N) and the
  // clipping coefficient are one scalar, which the optimizer folds into its own (no full-size pass).
  let gradScale: Value | undefined = accumulate > 1 ? f32(b, 1 / accumulate, 'accum_mean') : undefined;
  if (options.clipGradNorm !== undefined) {
    const clip = clipCoefficient(b, grads, options.clipGradNorm, gradScale);
    gradNorm = clip.norm;
    gradScale = gradScale ? b.op('Mul', [gradScale, clip.coef], { name: 'grad_scale' }) : clip.coef;
  }
  const slots = stateSlots(optimizer.kind);
  const stateInputs: { value: Value; param: string; slot: string; key: string }[] = [];
  const paramOut: Value[] = [];
  const stateOut: { value: Value; key: string }[] = [];
  const scalars = stepScalars(b, optimizer, lr, step, gradScale);
  const gate = (next: Value, current: Value) => (apply ? b.op('Where', [apply, next, current], { name: 'accum_apply' }) : next);
  lg.params.forEach((p, i) => {
    const shape = shapeOf(p.tensor);
    const state = slots.map((slot) => {
      const name = m.valueNames.unique(`${p.name}.${slot}`);
      const v = new Value(name, { info: tensorInfo(name, DataType.FLOAT, shape) });
      stateInputs.push({ value: v, param: p.name, slot, key: `optimizer.${p.name}.${slot}` });
      return v;
    });
    const next = appendUpdate(b, scalars, { param: p.value, grad: grads[i]!, state });
    paramOut.push(namedOutput(b, gate(next.param, p.value), `${p.name}.new`, DataType.FLOAT, shape));
    next.state.forEach((s, j) => stateOut.push({ value: namedOutput(b, gate(s, state[j]!), `${state[j]!.name}.new`, DataType.FLOAT, shape), key: `optimizer.${p.name}.${slots[j]}` }));
  });
  stateInputs.push(...accumIn);
  stateOut.push(...accumOut);
  const bufferOut = lg.buffers.map((bf) => namedOutput(b, bf.next, `${bf.name}.new`, DataType.FLOAT, shapeOf(bf.tensor)));
  const loss = lg.loss;
  g.outputs = [loss, ...(lg.accuracy ? [lg.accuracy] : []), ...(gradNorm ? [gradNorm] : []), ...paramOut, ...stateOut.map((s) => s.value), ...bufferOut];
  for (const v of [loss, lg.accuracy, gradNorm]) if (v && !v.info?.type) v.info = tensorInfo(v.name, DataType.FLOAT, []);
  const masks = lg.dropouts.map((d) => g.inputs.find((v) => v.name === d.mask)!);
  g.inputs = [...lg.dataInputs, ...(lg.labels ? [lg.labels] : []), ...masks, lr, step, ...(apply ? [apply] : []), ...lg.params.map((p) => p.value), ...stateInputs.map((s) => s.value), ...lg.buffers.map((x) => x.value)];
  eliminateDeadNodes.run(m);
  inferModel(m);
  const io = ioEntry;
  const trainInputs: IoEntry[] = [
    ...lg.dataInputs.map((v) => io(v, 'data', 'a batch of the model input')),
    ...(lg.labels ? [io(lg.labels, 'labels', options.lossFn === 'cross-entropy' || options.lossFn === 'nll' ? 'class indices (int64)' : 'targets, shaped like the scores')] : []),
    ...masks.map((v, i) => io(v, 'mask', `Dropout '${lg.dropouts[i]!.node}' mask: 0 or 1/(1-${lg.dropouts[i]!.ratio}) per element`)),
    io(lr, 'lr', 'learning rate for this step (float32 scalar)'),
    io(step, 'step', 'the 1-based index of the optimizer update (AdamW bias correction; float32 scalar)'),
    ...(apply ? [io(apply, 'apply', `true on every ${accumulate}th batch: update with the mean accumulated gradient (bool scalar)`)] : []),
    ...lg.params.map((p) => io(p.value, 'param', 'current value', p.name)),
    ...stateInputs.map((s) => io(s.value, 'state', s.slot === 'grad_accumulator' ? `sum of ${s.param}'s gradients since the last update` : `optimizer state ${s.slot} of ${s.param}`, s.key)),
    ...lg.buffers.map((x) => io(x.value, 'buffer', `running statistic of BatchNormalization '${x.of}'`, x.name)),
  ];
  const trainOutputs: IoEntry[] = [
    io(loss, 'loss', 'the loss on the batch, before the update'),
    ...(lg.accuracy ? [io(lg.accuracy, 'accuracy', 'fraction of the batch classified right, before the update')] : []),
    ...(gradNorm ? [io(gradNorm, 'grad_norm', 'L2 norm of all gradients before clipping')] : []),
    ...paramOut.map((v, i) => io(v, 'param', 'updated value', lg.params[i]!.name)),
    ...stateOut.map((s) => io(s.value, 'state', 'updated optimizer state', s.key)),
    ...bufferOut.map((v, i) => io(v, 'buffer', 'updated running statistic', lg.buffers[i]!.name)),
  ];
  const trainStep = modelToProto(m);

  // --- eval.onnx
  const e = modelFromProto(proto);
  if ((e.onnxOpset ?? 0) < MIN_OPSET && options.lossFn) upgradeOpset(e, MIN_OPSET);
  toInferenceMode(e);
  const evalData = e.graph.inputs.filter((v) => !v.initializer);
  const originalOutputs = [...e.graph.outputs];
  let evalLoss: Value;
  let evalLabels: Value | undefined;
  let evalAccuracy: Value | undefined;
  if (options.lossFn) {
    const before = new Set(e.graph.inputs);
    evalLoss = appendLoss(e, options.lossFn, options.on!);
    evalLabels = e.graph.inputs.find((v) => !before.has(v));
    const scores = e.graph.nodes.flatMap((n) => n.outputs).find((v) => v.name === options.on)!;
    if (options.lossFn === 'cross-entropy') evalAccuracy = appendAccuracy(e, scores, evalLabels!);
  } else {
    evalLoss = e.graph.nodes.flatMap((n) => n.outputs).find((v) => v.name === options.loss)!;
  }
  const stateNames = new Set([...lg.params.map((p) => p.name), ...lg.buffers.map((x) => x.name)]);
  const evalState = e.graph.initializers.filter((v) => stateNames.has(v.name));
  initializersToInputs(e, evalState);
  for (const v of [evalLoss, evalAccuracy]) if (v && !v.info?.type) v.info = tensorInfo(v.name, DataType.FLOAT, []);
  e.graph.outputs = [evalLoss, ...(evalAccuracy ? [evalAccuracy] : []), ...originalOutputs.filter((v) => v !== evalLoss)];
  e.graph.inputs = [...evalData, ...(evalLabels ? [evalLabels] : []), ...evalState];
  eliminateDeadNodes.run(e);
  inferModel(e);
  const eio = ioEntry;
  const evalInputs: IoEntry[] = [
    ...evalData.map((v) => eio(v, 'data', 'a batch of the model input')),
    ...(evalLabels ? [eio(evalLabels, 'labels', 'as for the train step')] : []),
    ...evalState.map((v) => eio(v, lg.buffers.some((x) => x.name === v.name) ? 'buffer' : 'param', 'current value', v.name)),
  ];
  const evalOutputs: IoEntry[] = [
    eio(evalLoss, 'loss', 'the loss on the batch (inference mode)'),
    ...(evalAccuracy ? [eio(evalAccuracy, 'accuracy', 'fraction of the batch classified right')] : []),
    ...e.graph.outputs.slice(evalAccuracy ? 2 : 1).map((v) => eio(v, 'output', 'an output of the model')),
  ];
  const evalProto = modelToProto(e);
  // One initializer read by several nodes is one parameter here: torch.onnx's eval-mode export merges
  // initializers whose values happen to be equal (squeezenet's zero biases), which ties them in training.
  const tied = evalState.filter((v) => lg.params.some((p) => p.name === v.name) && new Set(v.uses().map((u) => u.node)).size > 1)
    .map((v) => `parameter '${v.name}' is read by ${new Set(v.uses().map((u) => u.node)).size} nodes and trains as one tensor (if torch.onnx merged equal initializers: trelu artifacts --untie, or untieSharedWeights(model) first, gives each reader its own)`);

  // --- checkpoint and manifest
  const parameters: ParamEntry[] = [
    ...lg.params.map((p): ParamEntry => ({ initializer: p.name, checkpointKey: p.name, torchKey: torchKeyOf(p.name), shape: shapeOf(p.tensor), dtype: 'float32', role: 'param' })),
    ...lg.buffers.map((x): ParamEntry => ({ initializer: x.name, checkpointKey: x.name, torchKey: torchKeyOf(x.name), shape: shapeOf(x.tensor), dtype: 'float32', role: 'buffer' })),
    ...lg.frozen.map((name): ParamEntry => {
      const t = proto.graph!.initializer.find((x) => x.name === name)!;
      return { initializer: name, checkpointKey: name, torchKey: torchKeyOf(name), shape: shapeOf(t), dtype: 'float32', role: 'frozen' };
    }),
  ];
  const id = fnv1a(JSON.stringify([trainInputs.map((x) => [x.name, x.kind, x.key, x.shape]), trainOutputs.map((x) => [x.name, x.key]), optimizer.kind, optimizer.momentum, optimizer.nesterov, optimizer.weightDecay, optimizer.betas, optimizer.eps, options.clipGradNorm ?? null, accumulate]));
  const tensors: NamedTensor[] = [
    ...lg.params.map((p) => ({ name: p.name, dims: shapeOf(p.tensor), data: tensorToFloat32(p.tensor) })),
    ...lg.buffers.map((x) => ({ name: x.name, dims: shapeOf(x.tensor), data: tensorToFloat32(x.tensor) })),
    ...stateInputs.map((s) => {
      const t = lg.params.find((p) => p.name === s.param)!.tensor;
      return { name: s.key, dims: shapeOf(t), data: new Float32Array(shapeOf(t).reduce((a, d) => a * d, 1)) };
    }),
  ];
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    id,
    producer: { name: 'onnx-trelu', version: options.producerVersion ?? '0.1.0' },
    source: options.source ?? { file: ARTIFACT_FILES.model },
    files: { ...ARTIFACT_FILES },
    loss: { ...(options.loss ? { loss: options.loss } : {}), ...(options.lossFn ? { lossFn: options.lossFn, on: options.on } : {}) },
    optimizer,
    ...(options.clipGradNorm !== undefined ? { clipGradNorm: options.clipGradNorm } : {}),
    accumulate,
    trainStep: { inputs: trainInputs, outputs: trainOutputs },
    eval: { inputs: evalInputs, outputs: evalOutputs },
    parameters,
    dropouts: lg.dropouts.map((d) => ({ input: d.mask, node: d.node, ratio: d.ratio, shape: d.shape })),
    optimizerState: stateInputs.map((s) => ({ param: s.param, slot: s.slot, checkpointKey: s.key })),
    notes: [
      ...(lg.buffers.length ? ['BatchNormalization trains with batch statistics; running_var is updated with the unbiased batch variance, as torch does'] : []),
      ...(lg.dropouts.length ? ['Dropout masks are inputs, filled by the trainer from the seed and the step'] : []),
      ...lg.params.filter((p) => !p.connected).map((p) => `parameter '${p.name}' does not reach the loss; its gradient is zero`),
      ...tied,
      ...lg.report.warnings,
    ],
  };
  const checkpoint = encodeSafetensors(tensors, checkpointMetadata({ artifacts: id, step: 0, epoch: 0, position: 0, lr: optimizer.lr, seed: 0 }));
  return { trainStep, eval: evalProto, manifest, checkpoint };
}
