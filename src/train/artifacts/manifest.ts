/** manifest.json: what every input and output of the artifacts is, the name map, hyperparameters, versions. */
import type { Dim } from '../../graph/infer/types.js';
import type { OptimizerConfig } from '../optim/optimizers.js';
import type { LossOptions } from './loss-and-gradients.js';

export const MANIFEST_FORMAT = 'onnx-trelu-training-artifacts';
export const MANIFEST_VERSION = 1;

export type IoKind = 'data' | 'labels' | 'mask' | 'lr' | 'step' | 'apply' | 'param' | 'state' | 'buffer' | 'loss' | 'accuracy' | 'output' | 'grad_norm';

export interface IoEntry {
  name: string;
  kind: IoKind;
  dtype: string;
  shape?: Dim[];
  /** param/state/buffer: the checkpoint key of the tensor this is (the current value for inputs, the next one for outputs). */
  key?: string;
  description: string;
}

export interface ParamEntry {
  /** The initializer in the original model. */
  initializer: string;
  /** The key in checkpoint.safetensors. */
  checkpointKey: string;
  /** The key in a PyTorch state_dict, where the exporter kept it (torch.onnx.export names initializers after it). */
  torchKey?: string;
  shape: number[];
  dtype: 'float32';
  role: 'param' | 'buffer' | 'frozen';
}

export interface DropoutEntry {
  /** The train step's mask input. */
  input: string;
  node: string;
  ratio: number;
  shape: Dim[];
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  /** Identifies these artifacts; checkpoints carry it, so a checkpoint of other artifacts is refused. */
  id: string;
  producer: { name: 'onnx-trelu'; version: string };
  /** The model the artifacts were built from (a copy is model.onnx beside the manifest). */
  source: { file: string; sha256?: string };
  files: { trainStep: string; eval: string; checkpoint: string; model: string };
  loss: LossOptions;
  optimizer: Required<OptimizerConfig>;
  clipGradNorm?: number;
  /** Batches per optimizer update (gradient accumulation); 1 without. */
  accumulate: number;
  trainStep: { inputs: IoEntry[]; outputs: IoEntry[] };
  eval: { inputs: IoEntry[]; outputs: IoEntry[] };
  parameters: ParamEntry[];
  dropouts: DropoutEntry[];
  /** Element counts for the optimizer state, per parameter: checkpoint keys `optimizer.<param>.<slot>`. */
  optimizerState: { param: string; slot: string; checkpointKey: string }[];
  notes: string[];
}

/** Where a torch export keeps the state_dict key: names like `layer1.0.conv1.weight`; `onnx::Conv_123` or `/x/Constant` are not. */
export function torchKeyOf(initializer: string): string | undefined {
  return /^[A-Za-z_][\w]*(\.[\w]+)*$/.test(initializer) && !initializer.startsWith('onnx::') ? initializer : undefined;
}

/** FNV-1a (32-bit, hex) of a string: the artifacts id over names, shapes and hyperparameters. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
