/**
 * `trelu demo` (what `npm start` runs): the main job on a sample model from
 * models/. For now: inspect it and print the summary.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { inspectCommand } from './inspect.js';
import { validateCommand } from './validate.js';
import type { Io } from './output.js';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_MODEL = path.join(PACKAGE_ROOT, 'models', 'mlp.onnx');

export function demoCommand(io: Io, options: { model?: string }): number {
  const model = options.model ?? DEFAULT_MODEL;
  const shown = path.relative(process.cwd(), model) || model;
  io.out(`== inspect ${shown}`);
  inspectCommand(io, model, {});
  io.out('');
  io.out(`== validate ${shown} --ep cpu,wasm,webgpu`);
  return validateCommand(io, model, { ep: ['cpu', 'wasm', 'webgpu'] });
}
