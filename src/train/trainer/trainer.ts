/**
 * A trainer over the training artifacts, on any backend (onnxruntime-node
 * cpu/webgpu, onnxruntime-web wasm, or a browser's onnxruntime-web webgpu):
 *
 *   const t = await Trainer.create({ manifest, trainStep, evalModel, checkpoint }, { backend });
 *   const { loss } = await t.step({ inputs: { input: x }, labels: y });
 *   const bytes = await t.saveCheckpoint({ epoch, position });
 *
 * The state (parameters, optimizer state, running statistics) lives here
 * between steps, keyed by checkpoint key; each step feeds it and keeps the
 * outputs. With `keepOnDevice` (onnxruntime-web's WebGPU only) the outputs
 * stay in GPU buffers and are fed back as they are. onnxruntime-node 1.30
 * aborts the process when a gpu-buffer output is fed back or read, so in Node
 * the state is copied to the CPU after every step.
 * Browser-safe: no Node built-ins.
 */
import { TreluError } from '../../errors.js';
import type { ModelProto } from '../../onnx/proto.js';
import { cloneShallow } from '../../onnx/walk.js';
import type { Backend, BackendSession, CreateSessionOptions } from '../../runtime/backend.js';
import type { TensorLike } from '../../runtime/tensor.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../checkpoint/safetensors.js';
import { checkpointMetadata, parseCheckpointMetadata, type CheckpointMeta } from '../checkpoint/metadata.js';
import type { IoEntry, Manifest } from '../artifacts/manifest.js';
import { dropoutMask } from './random.js';
import { checkBatch, resolveShape } from './batch.js';

export interface TrainerArtifacts {
  manifest: Manifest;
  trainStep: Uint8Array | string;
  evalModel?: Uint8Array | string;
  checkpoint: Uint8Array;
}

export interface TrainerOptions {
  backend: Backend;
  /** Seed of the Dropout masks (the checkpoint's seed is used when it has one and this is not given). */
  seed?: number;
  /** Keep state on the GPU between steps (onnxruntime-web webgpu only). */
  keepOnDevice?: boolean;
  session?: CreateSessionOptions;
}

export interface Batch {
  /** The model's data inputs by name (`kind: 'data'` in the manifest). */
  inputs: Record<string, TensorLike>;
  labels?: TensorLike;
  /** Dropout masks by input name; default: drawn from (seed, step). */
  masks?: Record<string, TensorLike>;
}

export interface StepResult {
  loss: number;
  accuracy?: number;
  gradNorm?: number;
}

type DeviceTensor = TensorLike & { getData?: () => Promise<TensorLike['data']>; dispose?: () => void };

export class Trainer {
  private state = new Map<string, DeviceTensor>();
  private evalSession?: BackendSession;
  /** Train steps (batches) done; with gradient accumulation over N, an update every N of them. */
  stepsDone = 0;
  /** Where the data loop stands (saved in checkpoints). */
  epoch = 0;
  position = 0;
  lr: number;
  seed: number;

  private constructor(readonly manifest: Manifest, private readonly train: BackendSession, private readonly artifacts: TrainerArtifacts, private readonly options: TrainerOptions) {
    this.lr = manifest.optimizer.lr;
    this.seed = options.seed ?? 0;
  }

  static async create(artifacts: TrainerArtifacts, options: TrainerOptions): Promise<Trainer> {
    if (options.keepOnDevice && !(options.backend.runtime === 'onnxruntime-web' && options.backend.name === 'webgpu')) {
      throw new TreluError('E_UNSUPPORTED', `keepOnDevice needs onnxruntime-web's WebGPU backend; ${options.backend.runtime} ${options.backend.name} copies state to the CPU after each step`, {
        hint: 'onnxruntime-node 1.30 aborts the process when a gpu-buffer output is fed back; leave keepOnDevice off in Node',
      });
    }
    await options.backend.init();
    const session = await options.backend.createSession(artifacts.trainStep, { ...options.session, ...(options.keepOnDevice ? { preferredOutputLocation: 'gpu-buffer' } : {}) });
    const t = new Trainer(artifacts.manifest, session, artifacts, options);
    t.loadCheckpoint(artifacts.checkpoint, 'checkpoint.safetensors', options.seed === undefined);
    return t;
  }

  /** One optimizer step on `batch`; `lr` overrides the learning rate for this step (a schedule). */
  async step(batch: Batch, options: { lr?: number } = {}): Promise<StepResult> {
    const { inputs, outputs } = this.manifest.trainStep;
    const n = checkBatch(inputs, batch);
    const lr = options.lr ?? this.lr;
    const accumulate = this.manifest.accumulate ?? 1;
    const feeds: Record<string, TensorLike> = {};
    let maskIndex = 0;
    for (const e of inputs) {
      if (e.kind === 'data') feeds[e.name] = batch.inputs[e.name]!;
      else if (e.kind === 'labels') feeds[e.name] = batch.labels!;
      else if (e.kind === 'lr') feeds[e.name] = scalar(lr);
      else if (e.kind === 'step') feeds[e.name] = scalar(Math.floor(this.stepsDone / accumulate) + 1);
      else if (e.kind === 'apply') feeds[e.name] = { type: 'bool', data: Uint8Array.of((this.stepsDone + 1) % accumulate === 0 ? 1 : 0), dims: [] };
      else if (e.kind === 'mask') feeds[e.name] = batch.masks?.[e.name] ?? this.mask(e, n, maskIndex);
      else if (e.key) feeds[e.name] = this.state.get(e.key)!;
      if (e.kind === 'mask') maskIndex++;
    }
    const out = (await this.train.run(feeds)) as Record<string, DeviceTensor>;
    const result: StepResult = { loss: await readScalar(out[find(outputs, 'loss')]!) };
    const acc = outputs.find((o) => o.kind === 'accuracy');
    if (acc) result.accuracy = await readScalar(out[acc.name]!);
    const norm = outputs.find((o) => o.kind === 'grad_norm');
    if (norm) result.gradNorm = await readScalar(out[norm.name]!);
    if (!Number.isFinite(result.loss)) {
      for (const t of Object.values(out)) t.dispose?.();
      throw new TreluError('E_DIVERGED', `the loss is ${result.loss} at step ${this.stepsDone + 1}: training diverged; the state is kept as it was before this step`, { hint: 'lower --lr, or use --clip-grad-norm', exitCode: 1 });
    }
    for (const e of outputs) {
      if (!e.key) continue;
      this.state.get(e.key)?.dispose?.();
      this.state.set(e.key, out[e.name]!);
    }
    this.stepsDone++;
    this.lr = lr;
    return result;
  }

  /** Loss and accuracy over `batches` with eval.onnx (inference mode), weighted by batch size. */
  async evaluate(batches: Iterable<Batch> | AsyncIterable<Batch>): Promise<{ loss: number; accuracy?: number; samples: number }> {
    if (!this.artifacts.evalModel) throw new TreluError('E_USAGE', 'no eval model was given to the trainer');
    this.evalSession ??= await this.options.backend.createSession(this.artifacts.evalModel, this.options.session);
    const { inputs, outputs } = this.manifest.eval;
    let loss = 0;
    let correct = 0;
    let samples = 0;
    const accName = outputs.find((o) => o.kind === 'accuracy')?.name;
    for await (const batch of batches) {
      const n = checkBatch(inputs, batch);
      const feeds: Record<string, TensorLike> = {};
      for (const e of inputs) {
        if (e.kind === 'data') feeds[e.name] = batch.inputs[e.name]!;
        else if (e.kind === 'labels') feeds[e.name] = batch.labels!;
        else if (e.key) feeds[e.name] = await this.onCpu(e.key);
      }
      const out = await this.evalSession.run(feeds);
      loss += (await readScalar(out[find(outputs, 'loss')]!)) * n;
      if (accName) correct += (await readScalar(out[accName]!)) * n;
      samples += n;
    }
    return { loss: loss / samples, ...(accName ? { accuracy: correct / samples } : {}), samples };
  }

  /** The state as checkpoint.safetensors bytes, with where the run stands. */
  async saveCheckpoint(at: { epoch?: number; position?: number } = {}): Promise<Uint8Array> {
    const tensors: NamedTensor[] = [];
    for (const key of this.state.keys()) {
      const t = await this.onCpu(key);
      tensors.push({ name: key, dims: t.dims, data: t.data as Float32Array });
    }
    const meta: CheckpointMeta = { artifacts: this.manifest.id, step: this.stepsDone, epoch: at.epoch ?? this.epoch, position: at.position ?? this.position, lr: this.lr, seed: this.seed };
    return encodeSafetensors(tensors, checkpointMetadata(meta));
  }

  /** Replaces the state with a checkpoint's; refuses one of other artifacts, or with missing or misshapen tensors. */
  loadCheckpoint(bytes: Uint8Array, source = '<checkpoint>', takeSeed = true): CheckpointMeta {
    const { tensors, metadata } = decodeSafetensors(bytes, source);
    const meta = parseCheckpointMetadata(metadata, source);
    if (meta.artifacts !== this.manifest.id) throw new TreluError('E_CHECKPOINT', `${source} belongs to other training artifacts (id ${meta.artifacts}, these are ${this.manifest.id})`, { hint: 'use a checkpoint written for these artifacts, or rebuild them' });
    const next = new Map<string, DeviceTensor>();
    for (const e of this.manifest.trainStep.inputs) {
      if (!e.key) continue;
      const t = tensors.get(e.key);
      if (!t) throw new TreluError('E_CHECKPOINT', `${source} has no tensor '${e.key}'`);
      const want = e.shape as number[];
      if (!(t.data instanceof Float32Array) || t.dims.length !== want.length || t.dims.some((d, i) => d !== want[i])) throw new TreluError('E_CHECKPOINT', `${source}: tensor '${e.key}' is [${t.dims.join(',')}], the artifacts want float32 [${want.join(',')}]`);
      next.set(e.key, { type: 'float32', data: t.data, dims: [...t.dims] });
    }
    for (const t of this.state.values()) t.dispose?.();
    this.state = next;
    this.stepsDone = meta.step;
    this.epoch = meta.epoch;
    this.position = meta.position;
    if (meta.step > 0) this.lr = meta.lr;
    if (takeSeed) this.seed = meta.seed;
    return meta;
  }

  /** A tensor of the state by checkpoint key, on the CPU. */
  async tensor(key: string): Promise<TensorLike & { data: Float32Array }> {
    return (await this.onCpu(key)) as TensorLike & { data: Float32Array };
  }

  get keys(): string[] {
    return [...this.state.keys()];
  }

  /**
   * The original model with the trained parameters and running statistics in
   * place of its initializers; every other field is the original's.
   */
  async exportModel(original: ModelProto): Promise<ModelProto> {
    const values = new Map<string, Float32Array>();
    for (const p of this.manifest.parameters) if (p.role !== 'frozen' && this.state.has(p.checkpointKey)) values.set(p.initializer, (await this.onCpu(p.checkpointKey)).data as Float32Array);
    return withInitializers(original, values);
  }

  /** Parameters and buffers as a PyTorch state_dict in safetensors (torch keys where known, else initializer names). */
  async exportSafetensors(): Promise<Uint8Array> {
    const tensors: NamedTensor[] = [];
    for (const p of this.manifest.parameters) {
      if (p.role === 'frozen' || !this.state.has(p.checkpointKey)) continue;
      const t = await this.onCpu(p.checkpointKey);
      tensors.push({ name: p.torchKey ?? p.initializer, dims: t.dims, data: t.data as Float32Array });
    }
    return encodeSafetensors(tensors, { format: 'pt' });
  }

  async release(): Promise<void> {
    await this.train.release();
    await this.evalSession?.release();
    for (const t of this.state.values()) t.dispose?.();
  }

  private mask(e: IoEntry, batchSize: number, index: number): TensorLike {
    const dims = resolveShape(e.shape, batchSize, e.name);
    const ratio = this.manifest.dropouts.find((d) => d.input === e.name)?.ratio ?? 0.5;
    return { type: 'float32', data: dropoutMask(dims.reduce((a, d) => a * d, 1), ratio, this.seed, this.stepsDone + 1, index), dims };
  }

  private async onCpu(key: string): Promise<TensorLike> {
    const t = this.state.get(key);
    if (!t) throw new TreluError('E_USAGE', `no state tensor '${key}'`);
    if (t.getData && (t as { location?: string }).location === 'gpu-buffer') return { type: t.type, data: await t.getData(), dims: t.dims };
    return t;
  }
}

function scalar(v: number): TensorLike {
  return { type: 'float32', data: Float32Array.of(v), dims: [] };
}

function find(entries: readonly IoEntry[], kind: IoEntry['kind']): string {
  return entries.find((e) => e.kind === kind)!.name;
}

async function readScalar(t: DeviceTensor): Promise<number> {
  const data = t.getData && (t as { location?: string }).location === 'gpu-buffer' ? await t.getData() : t.data;
  return Number((data as ArrayLike<number>)[0]);
}

/** `proto` with the float32 values of some top-level initializers replaced (everything else shared with the original). */
export function withInitializers(proto: ModelProto, values: ReadonlyMap<string, Float32Array>): ModelProto {
  const model = cloneShallow(proto);
  const graph = cloneShallow(proto.graph!);
  graph.initializer = proto.graph!.initializer.map((t) => {
    const v = values.get(t.name);
    if (!v) return t;
    const c = cloneShallow(t);
    c.rawData = new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
    if (c.floatData?.length) c.floatData = [];
    return c;
  });
  model.graph = graph;
  return model;
}
