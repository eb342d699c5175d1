/**
 * The one vocabulary of execution-provider names, for every command:
 * `run`, `check-eps` and `doctor` run the ones this package can start
 * (onnxruntime-node's cpu/webgpu/cuda/tensorrt, onnxruntime-web's wasm);
 * `validate` also knows the ones only found elsewhere (onnxruntime-web's
 * JSEP WebGPU in browsers, ROCm builds). A name not in this table is a usage
 * error (exit 2) in every command.
 */
import { TreluError } from '../errors.js';
import { EP_NAMES, type EpName } from './backend.js';

export interface EpInfo {
  readonly name: string;
  /** Where this EP lives. */
  readonly runtime: string;
  /** Whether `trelu run` / `check-eps` can start it (a backend exists here; it may still be unusable on this machine). */
  readonly runnable: boolean;
  /** Other spellings accepted. */
  readonly aliases?: readonly string[];
}

export const EPS: readonly EpInfo[] = [
  { name: 'cpu', runtime: 'onnxruntime-node', runnable: true },
  { name: 'webgpu', runtime: 'onnxruntime-node (Dawn)', runnable: true },
  { name: 'wasm', runtime: 'onnxruntime-web (WebAssembly, in Node)', runnable: true },
  { name: 'cuda', runtime: 'onnxruntime-node (needs the CUDA EP binaries: npm run setup:cuda)', runnable: true },
  { name: 'tensorrt', runtime: 'onnxruntime-node (needs the CUDA EP binaries and TensorRT)', runnable: true },
  { name: 'jsep-webgpu', runtime: 'onnxruntime-web in a browser (JSEP WebGPU)', runnable: false, aliases: ['webgpu-jsep', 'js'] },
  { name: 'rocm', runtime: 'onnxruntime ROCm builds (not for Node)', runnable: false },
];

// Every backend this package has is in the table, as runnable.
const RUNNABLE: readonly EpName[] = EP_NAMES;
for (const n of RUNNABLE) if (!EPS.some((e) => e.name === n && e.runnable)) throw new Error(`EP table lacks backend '${n}'`);

/** `--ep cpu --ep webgpu` and `--ep cpu,webgpu` both work. */
export function splitEpList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** The table's name for `name` (aliases resolved); a usage error naming the known EPs otherwise. `run` also refuses EPs it cannot start. */
export function resolveEp(name: string, purpose: 'run' | 'validate'): string {
  const info = EPS.find((e) => e.name === name || e.aliases?.includes(name));
  if (!info) throw new TreluError('E_USAGE', `unknown execution provider '${name}'`, { hint: `known: ${EPS.map((e) => e.name).join(', ')}` });
  if (purpose === 'run' && !info.runnable) {
    throw new TreluError('E_USAGE', `execution provider '${info.name}' cannot be started from here (${info.runtime})`, { hint: `runnable here: ${EPS.filter((e) => e.runnable).map((e) => e.name).join(', ')}; trelu validate --ep ${info.name} checks a model for it` });
  }
  return info.name;
}

/** Parses an `--ep` option for a purpose: names resolved and checked, duplicates dropped. */
export function parseEps(values: readonly string[] | undefined, purpose: 'run' | 'validate', fallback: readonly string[] = []): string[] {
  const names = splitEpList(values);
  return [...new Set((names.length ? names : fallback).map((n) => resolveEp(n, purpose)))];
}
