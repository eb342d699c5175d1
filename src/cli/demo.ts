/**
 * `trelu demo` (what `npm start` runs): the main job on a sample model from
 * models/: inspect it, replace its Relu activations with ThresholdedRelu(alpha),
 * write the result to out/, validate it for ORT's CPU, wasm and WebGPU EPs,
 * prove the rewrite by running both models in onnxruntime-node, and run the
 * result on every usable EP, compared with the CPU EP.
 */
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import { EXIT_OK } from '../errors.js';
import { inspectCommand } from './inspect.js';
import { validateCommand } from './validate.js';
import { rewriteCommand, transforms } from './rewrite.js';
import { checkEpsCommand } from './check-eps.js';
import type { Io } from './output.js';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_MODEL = path.join(PACKAGE_ROOT, 'models', 'mlp.onnx');

export interface DemoOptions {
  model?: string;
  out?: string;
  alpha?: number;
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

  io.out('');
  io.out(`== 2. replace Relu with ThresholdedRelu(alpha=${alpha}), verify by execution, write ${shown(output)}`);
  const rewrite = await rewriteCommand(io, 'replace', model, output, { verify: true, dim: ['N=4'] }, transforms.replace(['Relu'], alpha, undefined));
  steps.push(`replace + verify: ${rewrite === EXIT_OK ? 'ok' : 'FAILED'}`);

  io.out('');
  io.out(`== 3. validate ${shown(output)} --ep cpu,wasm,webgpu`);
  const validate = validateCommand(io, output, { ep: ['cpu', 'wasm', 'webgpu'] });
  steps.push(`validate: ${validate === EXIT_OK ? 'no errors' : 'errors found'}`);

  io.out('');
  io.out(`== 4. run ${shown(output)} on every usable execution provider and compare with the CPU EP`);
  const check = await checkEpsCommand(io, output, { dim: ['N=4'] });
  steps.push(`check-eps: ${check === EXIT_OK ? 'all usable EPs agree' : 'MISMATCH'}`);

  io.out('');
  io.out(`== summary: ${steps.join('; ')}; result in ${shown(output)}`);
  return [rewrite, validate, check].find((c) => c !== EXIT_OK) ?? EXIT_OK;
}
