/**
 * The torch corpus (models/corpus/torch/export.py, see /work/coord/CORPUS.md): real architectures
 * exported by Debian's torch 1.13 with torch autograd's gradients for a fixed batch. Generated into
 * models/corpus/.cache/torch/ (git-ignored) and regenerated only when the script changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { parseNpy } from '../../src/runtime/inputs.js';
import type { TensorLike } from '../../src/runtime/tensor.js';
import { REPO_ROOT } from '../helpers.js';

export const TORCH_SCRIPT = path.join(REPO_ROOT, 'models/corpus/torch/export.py');
export const TORCH_CACHE = process.env.TRELU_TORCH_CORPUS ?? path.join(REPO_ROOT, 'models/corpus/.cache/torch');
/** Debian's python (python3-torch, python3-torchvision, python3-onnx); `python3` on PATH may lack torch. */
const PYTHON = process.env.TRELU_TORCH_PYTHON ?? '/usr/bin/python3';

export interface InitializerEntry {
  onnx: string;
  shape: number[];
  /** The state_dict keys this initializer holds (several where the exporter merged equal values). */
  torch: string[];
  /** Each reader (through the exporter's Identity aliases) and the torch key it stands for. */
  uses: { node: string; input: number; torch: string | null }[];
  buffer?: string;
  constant?: true;
}

export interface TorchManifest {
  name: string;
  opset: number;
  /** 'F.cross_entropy', or the name of the loss (loss_mse, loss_bce_logits, ...). */
  loss: string;
  training: boolean;
  input: { name: string; file: string; shape: number[]; dtype: string };
  labels: { name: string; file: string; shape: number[]; dtype: string; ignored_rows: number[] };
  outputs: { logits: string; loss: string };
  params: { torch: string; shape: number[]; grad: string }[];
  onnx: Record<'model.onnx' | 'loss.onnx', InitializerEntry[]>;
}

export interface TorchModel {
  name: string;
  dir: string;
  manifest: TorchManifest;
  /** model.onnx (input → logits) and loss.onnx (input, labels → loss, logits). */
  modelPath: string;
  lossPath: string;
  npy(file: string): TensorLike;
  /** torch's d loss / d parameter (float32 from a float64 computation) by state_dict key. */
  torchGrad(key: string): TensorLike;
}

function scriptHash(): string {
  return crypto.createHash('sha256').update(fs.readFileSync(TORCH_SCRIPT)).digest('hex');
}

function fresh(hash: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(TORCH_CACHE, 'index.json'), 'utf8')).script === hash;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs the export script if the cache is missing or stale (one process at a time; others wait). */
export function ensureTorchCorpus(): string {
  const hash = scriptHash();
  if (fresh(hash)) return TORCH_CACHE;
  fs.mkdirSync(path.dirname(TORCH_CACHE), { recursive: true });
  const lock = `${TORCH_CACHE}.lock`;
  for (let waited = 0; ; waited += 500) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (fresh(hash)) return TORCH_CACHE;
      // a lock older than 10 minutes belongs to a process that died
      const age = (() => { try { return Date.now() - fs.statSync(lock).mtimeMs; } catch { return 0; } })();
      if (age > 600_000) fs.rmSync(lock, { recursive: true, force: true });
      if (waited > 900_000) throw new Error(`waited 15 min for ${lock}`);
      sleep(500);
    }
  }
  try {
    if (fresh(hash)) return TORCH_CACHE;
    const tmp = `${TORCH_CACHE}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const r = spawnSync(PYTHON, [TORCH_SCRIPT, tmp], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    if (r.status !== 0) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new Error(`${PYTHON} ${TORCH_SCRIPT} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').split('\n').filter((l) => !/warn/i.test(l)).slice(-8).join('\n')}\n`
        + 'needs Debian python3-torch, python3-torchvision, python3-onnx (or set TRELU_TORCH_PYTHON)');
    }
    const index = JSON.parse(fs.readFileSync(path.join(tmp, 'index.json'), 'utf8'));
    fs.writeFileSync(path.join(tmp, 'index.json'), JSON.stringify({ ...index, script: hash }, null, 1));
    fs.rmSync(TORCH_CACHE, { recursive: true, force: true });
    fs.renameSync(tmp, TORCH_CACHE);
    return TORCH_CACHE;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** The corpus models (generating the cache first if needed). */
export function torchCorpus(): TorchModel[] {
  const root = ensureTorchCorpus();
  const index = JSON.parse(fs.readFileSync(path.join(root, 'index.json'), 'utf8')) as { models: { name: string; dir: string }[] };
  return index.models.map(({ name, dir: sub }) => {
    const dir = path.join(root, sub);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as TorchManifest;
    const npy = (file: string) => parseNpy(new Uint8Array(fs.readFileSync(path.join(dir, file))), path.join(dir, file));
    const byKey = new Map(manifest.params.map((p) => [p.torch, p]));
    return {
      name, dir, manifest, npy,
      modelPath: path.join(dir, 'model.onnx'),
      lossPath: path.join(dir, 'loss.onnx'),
      torchGrad: (key: string) => {
        const p = byKey.get(key);
        if (!p) throw new Error(`${name}: no torch parameter '${key}'`);
        return npy(p.grad);
      },
    };
  });
}

export function torchModel(name: string): TorchModel {
  const m = torchCorpus().find((x) => x.name === name);
  if (!m) throw new Error(`no torch corpus model '${name}'`);
  return m;
}

// `node dist/test/corpus/torch-corpus.js`: generate the cache if stale and list the models.
if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  for (const m of torchCorpus()) {
    const inits = m.manifest.onnx['loss.onnx'];
    const merged = inits.filter((e) => e.torch.length > 1).length;
    console.log(`${m.name}: ${m.manifest.params.length} parameters, input [${m.manifest.input.shape}], opset ${m.manifest.opset}${m.manifest.training ? ', training mode' : ''}${merged ? `, ${merged} merged initializer(s)` : ''}  ${m.dir}`);
  }
}
