/**
 * The training part of `npm start`: training artifacts for the ThresholdedRelu
 * MLP, a few epochs on the digits data shipped in models/ (1,797 8x8 digits,
 * split 1,497 train / 300 validation), the loss printed as it falls, and the
 * trained model exported.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EXIT_OK } from '../errors.js';
import { readData } from '../node/datasets.js';
import { toNpy } from '../runtime/inputs.js';
import { artifactsCommand } from './artifacts.js';
import { trainCommand } from './train.js';
import { exportCommand } from './export.js';
import type { Io } from './output.js';

export const DIGITS = (root: string) => path.join(root, 'models', 'digits.csv.gz');

export async function demoTraining(io: Io, model: string, outDir: string, packageRoot: string): Promise<number> {
  const base = path.basename(model).replace(/\.onnx$/, '');
  const dir = path.join(outDir, `${base}-train`);
  // The demo's own output folder from an earlier run (never anything else: it must hold our manifest).
  if (fs.existsSync(path.join(dir, 'manifest.json'))) fs.rmSync(dir, { recursive: true });
  const data = readData(DIGITS(packageRoot));
  const split = 1497;
  const dataDir = path.join(outDir, 'digits');
  fs.mkdirSync(dataDir, { recursive: true });
  const x = Float32Array.from(data.x.data as ArrayLike<number>);
  const y = BigInt64Array.from(Array.from(data.y.data as ArrayLike<number>, (v) => BigInt(v)));
  const write = (name: string, t: { type: string; data: Float32Array | BigInt64Array; dims: number[] }) => fs.writeFileSync(path.join(dataDir, name), toNpy(t));
  write('train-x.npy', { type: 'float32', data: x.subarray(0, split * 64), dims: [split, 64] });
  write('train-y.npy', { type: 'int64', data: y.subarray(0, split), dims: [split] });
  write('val-x.npy', { type: 'float32', data: x.subarray(split * 64), dims: [data.x.dims[0]! - split, 64] });
  write('val-y.npy', { type: 'int64', data: y.subarray(split), dims: [data.x.dims[0]! - split] });
  const pair = (p: string) => `${path.join(dataDir, `${p}-x.npy`)},${path.join(dataDir, `${p}-y.npy`)}`;
  const shown = (p: string) => path.relative(process.cwd(), p) || p;

  io.out(`trelu artifacts ${shown(model)} --out ${shown(dir)} --loss-fn cross-entropy --on logits --optimizer adamw --lr 2e-3`);
  const a = await artifactsCommand(io, model, { out: dir, lossFn: 'cross-entropy', on: 'logits', optimizer: 'adamw', lr: '2e-3' });
  if (a !== EXIT_OK) return a;
  io.out(`trelu train ${shown(dir)} --data ${shown(dataDir)}/train-{x,y}.npy --val ... --epochs 6 --batch-size 32 --shuffle --seed 1 --lr-schedule cosine`);
  const t = await trainCommand(io, dir, { data: pair('train'), val: pair('val'), epochs: '6', batchSize: '32', shuffle: true, seed: '1', lrSchedule: 'cosine', warmup: '20', checkpointEvery: '100', keep: '2', progress: false });
  if (t !== EXIT_OK) return t;
  const trained = path.join(outDir, `${base}-trained.onnx`);
  return exportCommand(io, dir, trained, {});
}
