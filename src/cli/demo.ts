/**
 * `trelu demo` (what `npm start` runs): the main job on a sample model from
 * models/: inspect it, replace its Relu activations with ThresholdedRelu(alpha),
 * write the result to out/, validate it for ORT's CPU, wasm and WebGPU EPs,
 * prove the rewrite by running both models in onnxruntime-node, run the
 * result on every usable EP compared with the CPU EP, and build its gradient
 * graph, checked against finite differences, with each parameter's gradient norm.
 */
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import { EXIT_OK, TreluError } from '../errors.js';
import { inferModel } from '../graph/infer/index.js';
import { inspectCommand } from './inspect.js';
import { validateCommand } from './validate.js';
import { rewriteCommand, transforms } from './rewrite.js';
import { checkEpsCommand } from './check-eps.js';
import { gradCommand } from './grad.js';
import { demoTraining } from './demo-train.js';
import { loadModelFile } from '../node/model-file.js';
import { modelFromProto } from '../graph/from-proto.js';
import { buildFeeds } from '../runtime/feeds.js';
import { parseNpy } from '../runtime/inputs.js';
import { runOnCpu } from '../runtime/run-once.js';
import type { Io } from './output.js';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_MODEL = path.join(PACKAGE_ROOT, 'models', 'mlp.onnx');

export interface DemoOptions {
  model?: string;
  out?: string;
  alpha?: number;
}

/** Runs the gradient model once (parameters at their stored values, seeded data) and prints each gradient's L2 norm. */
async function printGradientNorms(io: Io, gradModel: string): Promise<void> {
  const loaded = loadModelFile(gradModel);
  const model = modelFromProto(loaded.model);
  const paramsDir = gradModel.replace(/\.onnx$/, '') + '.params';
  const inputs = (fs.existsSync(paramsDir) ? fs.readdirSync(paramsDir).filter((f) => f.endsWith('.npy')) : []).map((f) => ({ name: f.replace(/\.npy$/, ''), tensor: parseNpy(new Uint8Array(fs.readFileSync(path.join(paramsDir, f)))) }));
  const feeds = buildFeeds(model, { inputs, dims: { N: 8 }, seed: 0 });
  const out = await runOnCpu(loaded.path, feeds);
  io.out(`gradient norms (batch of 8, seeded inputs and labels; loss ${out.loss ? Number((out.loss.data as Float32Array)[0]).toFixed(4) : '?'}):`);
  for (const [name, t] of Object.entries(out)) {
    if (!name.endsWith('_grad')) continue;
    const norm = Math.sqrt(Array.from(t.data as Float32Array).reduce((s, v) => s + v * v, 0));
    io.out(`  ${name.padEnd(20)} ${norm.toExponential(3)}`);
  }
}

export async function demoCommand(io: Io, options: DemoOptions): Promise<number> {
  const model = options.model ?? DEFAULT_MODEL;
  const alpha = options.alpha ?? 0.5;
  const outDir = options.out ?? path.join(process.cwd(), 'out');
  fs.mkdirSync(outDir, { recursive: true });
  const output = path.join(outDir, path.basename(model).replace(/\.onnx$/, '') + '-trelu.onnx');
  const shown = (p: string) => path.relative(process.cwd(), p) || p;
  const steps: string[] = [];

  io.out(`== 1. inspect ${shown(model)}`);
  inspectCommand(io, model, {});

  // any model with a float output: its Relus are replaced, or (without any) a ThresholdedRelu goes on that output
  const m = modelFromProto(loadModelFile(model).model);
  inferModel(m);
  const FLOATS = [1, 10, 11];
  const target = m.graph.outputs.find((v) => v.dtype !== undefined && FLOATS.includes(v.dtype));
  if (!target) throw new TreluError('E_USAGE', `${shown(model)}: no float output to build the demo on`, { hint: 'trelu demo --model needs a model with a float32/float16/float64 output' });
  const hasRelu = [...m.allGraphs()].some(({ graph }) => graph.nodes.some((n) => n.opType === 'Relu'));
  const lossFn = target.shapeInfo?.length === 2 ? 'cross-entropy' : 'mse';

  io.out('');
  const rewrite = hasRelu
    ? (io.out(`== 2. replace Relu with ThresholdedRelu(alpha=${alpha}), verify by execution, write ${shown(output)}`),
      await rewriteCommand(io, 'replace', model, output, { verify: true, dim: ['N=4'] }, transforms.replace(['Relu'], alpha, undefined)))
    : (io.out(`== 2. no Relu: insert ThresholdedRelu(alpha=${alpha}) on output '${target.name}', verify by execution, write ${shown(output)}`),
      await rewriteCommand(io, 'insert', model, output, { verify: true, dim: ['N=4'] }, transforms.insert([target.name], alpha)));
  steps.push(`${hasRelu ? 'replace' : 'insert'} + verify: ${rewrite === EXIT_OK ? 'ok' : 'FAILED'}`);

  io.out('');
  io.out(`== 3. validate ${shown(output)} --ep cpu,wasm,webgpu`);
  const validate = validateCommand(io, output, { ep: ['cpu', 'wasm', 'webgpu'] });
  steps.push(`validate: ${validate === EXIT_OK ? 'no errors' : 'errors found'}`);

  io.out('');
  io.out(`== 4. run ${shown(output)} on every usable execution provider and compare with the CPU EP`);
  const check = await checkEpsCommand(io, output, { dim: ['N=4'] });
  steps.push(`check-eps: ${check === EXIT_OK ? 'all usable EPs agree' : 'MISMATCH'}`);

  io.out('');
  const gradOut = output.replace(/\.onnx$/, '-grad.onnx');
  io.out(`== 5. gradient graph of ${shown(output)} (${lossFn} on ${target.name}, all parameters), checked against finite differences`);
  const grad = await gradCommand(io, output, gradOut, { lossFn, on: target.name, wrt: ['params'], check: true, dim: ['N=8'] });
  steps.push(`grad + check: ${grad === EXIT_OK ? 'ok' : 'FAILED'}`);
  if (grad === EXIT_OK) await printGradientNorms(io, gradOut);

  // 6. Training (the sample MLP only: the digits data has its 64 inputs and 10 classes).
  let train = EXIT_OK;
  if (path.resolve(model) === DEFAULT_MODEL) {
    io.out('');
    io.out(`== 6. train ${shown(output)} on the digits data (models/digits.csv.gz) with training artifacts in stock ORT, and export it`);
    train = await demoTraining(io, output, outDir, PACKAGE_ROOT);
    steps.push(`train: ${train === EXIT_OK ? 'ok' : 'FAILED'}`);
  }

  io.out('');
  io.out(`== summary: ${steps.join('; ')}; results in ${shown(outDir)}`);
  return [rewrite, validate, check, grad, train].find((c) => c !== EXIT_OK) ?? EXIT_OK;
}
