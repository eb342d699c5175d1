/**
 * The runtime interface, modelled on onnxruntime-common's Backend: a backend
 * is a small object with `init` and `createSession`, looked up by name in a
 * registry value (no global registration).
 */
import type { TensorLike } from './tensor.js';

/** Execution providers onnx-trelu knows how to ask for. */
export type EpName = 'cpu' | 'webgpu' | 'cuda' | 'tensorrt' | 'wasm';
export const EP_NAMES: readonly EpName[] = ['cpu', 'webgpu', 'cuda', 'tensorrt', 'wasm'];

export interface CreateSessionOptions {
  /**
   * Forbid ORT from assigning nodes the EP cannot run to the CPU EP (ORT's
   * `session.disable_cpu_ep_fallback`): session creation then fails instead.
   * Ignored for 'cpu' and 'wasm', which are CPU EPs.
   */
  strictEp?: boolean;
  /** Record which EP each node ran on (ORT profiling); read it from `placement()` after a run. */
  recordPlacement?: boolean;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** ORT's intra-op thread pool size (onnxruntime-node); default: ORT's (the machine's cores). */
  intraOpNumThreads?: number;
  /** GPU EPs: keep outputs on the device ('gpu-buffer'); default 'cpu'. */
  preferredOutputLocation?: 'cpu' | 'gpu-buffer';
}

/** Where a node ran. */
export interface NodePlacement {
  node: string;
  opType: string;
  /** ORT's provider name, e.g. 'WebGpuExecutionProvider', 'CPUExecutionProvider'. */
  provider: string;
  /** Median kernel time of the node over the recorded runs, in microseconds (where the backend reports it). */
  kernelTimeUs?: number;
}

export interface BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs once. `fetches` may hold pre-allocated output tensors (ORT fills them in place). */
  run(feeds: Record<string, TensorLike>, fetches?: Record<string, TensorLike>): Promise<Record<string, TensorLike>>;
  /** Node placement of the runs so far (when created with recordPlacement); undefined if the backend cannot tell. */
  placement(): Promise<NodePlacement[] | undefined>;
  release(): Promise<void>;
}

export interface Backend {
  readonly name: EpName;
  /** The npm package that provides it. */
  readonly runtime: 'onnxruntime-node' | 'onnxruntime-web';
  /**
   * Loads the runtime and checks the EP can be used here. Called before the
   * first session; the promise is cached, so concurrent callers share one
   * attempt, and a failure is remembered and re-thrown (a TreluError that says
   * what is missing).
   */
  init(): Promise<void>;
  createSession(model: Uint8Array | string, options?: CreateSessionOptions): Promise<BackendSession>;
}
