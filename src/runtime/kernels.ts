/**
 * The kernel API: ThresholdedRelu and its gradient on typed arrays or ORT
 * tensors, through the reference kernel (`ep: 'js'`) or any ORT EP, backed by
 * cached single-node sessions. This file runs in browsers too (no Node
 * imports): `createKernelsOn(backends)` takes the backends to use, Node's
 * `createKernels()` (kernel-api.ts) defaults them to onnxruntime-node's, a
 * page passes createWebBackends().
 *
 *   const k = createKernels();              // createKernelsOn(createWebBackends()) in a page
 *   const y = await k.thresholdedRelu(x, { alpha: 0.5, ep: 'cpu' });
 *   await k.thresholdedRelu(x, { alpha: 0.5, ep: 'cpu', out: y });   // fills y in place
 *   await k.release();
 *
 * Elementwise ops do not care about shape, so arrays run as 1-D tensors; an
 * ORT tensor keeps its dims. float16/bfloat16 arrays are Uint16Array bit
 * patterns and need `dtype`.
 */
import { TreluError } from '../errors.js';
import { thresholdedReluReference, thresholdedReluGradReference } from '../ops/thresholded-relu/reference.js';
import { DEFAULT_ALPHA } from '../ops/thresholded-relu/definition.js';
import { thresholdedReluKernelModel, KERNEL_MODEL_SESSION_OPTIONS } from '../ops/thresholded-relu/kernel-model.js';
import { thresholdedReluSimd, thresholdedReluGradSimd, inSimdArena } from '../ops/thresholded-relu/simd.js';
import type { FloatArray, FloatDType } from '../ops/types.js';
import type { BackendSession, EpName } from './backend.js';
import type { Backends } from './backends/registry.js';
import type { TensorLike } from './tensor.js';

/**
 * 'js': the reference kernel (any float dtype). 'simd': the WebAssembly SIMD
 * kernel, float32 only (other dtypes use the reference kernel), bit-identical
 * to 'js' and about 2x a memcpy over large arrays. Anything else: an ORT EP.
 */
export type KernelEp = 'js' | 'simd' | EpName;

export interface KernelOptions {
  alpha?: number;
  /** 'js' (the reference kernel, the default), 'simd', or an ORT EP. */
  ep?: KernelEp;
  /** Needed for Uint16Array input (float16 or bfloat16); otherwise taken from the array type. */
  dtype?: FloatDType;
  /** A pre-allocated output of the input's size and type, filled in place. */
  out?: FloatArray;
  /**
   * GPU EPs: leave the output on the device (an ORT tensor with location
   * 'gpu-buffer') so calls can be chained. Refused on onnxruntime-node: in ORT
   * 1.30 both reading such a tensor (getData) and feeding it back abort the
   * process. It is meant for onnxruntime-web's WebGPU in browsers, where
   * such a tensor goes back in as x (or dY) of the next call without leaving
   * the GPU, and getData() reads it when done (dispose() frees it).
   */
  keepOnDevice?: boolean;
}

type Input = FloatArray | TensorLike;

const DTYPE_OF_TYPE: Record<string, FloatDType> = { float32: 'float32', float64: 'float64', float16: 'float16' };

/** A tensor that lives on a device (onnxruntime-web's 'gpu-buffer', onnxruntime-node's too): its `data` cannot be read. */
function onDevice(x: TensorLike): boolean {
  const location = (x as { location?: string }).location;
  return location !== undefined && location !== 'cpu';
}

/** Elements of a tensor, from its dims (reading `data` of a device tensor throws). */
function elementCount(t: TensorLike): number {
  return onDevice(t) ? t.dims.reduce((a, d) => a * d, 1) : (t.data as ArrayLike<number>).length;
}

function isTensor(x: Input): x is TensorLike {
  return !ArrayBuffer.isView(x) && typeof (x as TensorLike).type === 'string';
}

function dtypeOf(x: Input, explicit: FloatDType | undefined): FloatDType {
  if (explicit) return explicit;
  if (isTensor(x)) {
    const d = DTYPE_OF_TYPE[x.type as string];
    if (d) return d;
    throw new TreluError('E_UNSUPPORTED', `tensor type ${x.type} is not a float type ThresholdedRelu takes`);
  }
  if (x instanceof Float32Array) return 'float32';
  if (x instanceof Float64Array) return 'float64';
  throw new TreluError('E_USAGE', 'a Uint16Array input needs dtype: \'float16\' or \'bfloat16\'');
}

const kernelModel = thresholdedReluKernelModel;

/**
 * The CPU-side ORT EPs take large arrays in chunks of this many elements.
 * onnxruntime-node 1.30 fills a pre-allocated output in place and then copies
 * it into a new ArrayBuffer anyway (see keepPreallocated in
 * backends/ort-node.ts): over a whole 64 MiB array that copy is a fresh mmap,
 * 16k page faults and a pass, every call. A 1 MiB chunk's copy is cache-hot
 * and comes from malloc's heap; where ArrayBuffer.prototype.transfer exists
 * (Node 22+) it is freed at once, so every chunk reuses the same bytes
 * (bench:kernels: ~2x memcpy in all, against 2.4x-15x when the copies wait
 * for the GC and glibc trims and re-faults its heap under them).
 */
const ORT_CHUNK = 1 << 18;
const CHUNKED_EPS: ReadonlySet<KernelEp> = new Set(['cpu', 'wasm']);

function allocLike(dtype: FloatDType, n: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'float64' ? new Float64Array(n) : new Uint16Array(n);
}

/** Elementwise, so any split of the flat data is exact: each chunk's output is written into its slice of `out`. */
async function runChunked(s: BackendSession, op: 'forward' | 'grad', data: Float32Array[], out: Float32Array, type: string, chunk: number): Promise<void> {
  const n = data[0]!.length;
  for (let off = 0; off < n; off += chunk) {
    const end = Math.min(n, off + chunk);
    const dims = [end - off];
    const part = (a: Float32Array) => ({ type, data: a.subarray(off, end), dims });
    const feeds: Record<string, TensorLike> = op === 'forward' ? { x: part(data[0]!) } : { x: part(data[0]!), dy: part(data[1]!) };
    await s.run(feeds, { y: part(out) });
  }
}

export interface Kernels {
  thresholdedRelu(x: Input, options?: KernelOptions): Promise<Input>;
  thresholdedReluGrad(x: Input, dy: Input, options?: KernelOptions): Promise<Input>;
  /** Releases every cached session. */
  release(): Promise<void>;
}

/** At most this many single-node sessions are kept (least recently used go first). */
const MAX_SESSIONS = 16;

/** A thread pool running the SIMD kernel on arena arrays (src/node/simd-workers.ts's createSimdPool in Node). */
export interface SimdThreads {
  thresholdedRelu(x: Float32Array, alpha: number, out: Float32Array): Promise<Float32Array>;
  thresholdedReluGrad(x: Float32Array, dy: Float32Array, alpha: number, out: Float32Array): Promise<Float32Array>;
}

export interface KernelsConfig {
  /**
   * ep 'simd' on arrays from simdArray() (x, dY and out all of them) runs on
   * these threads; other arrays stay on the calling thread. Whether threads
   * beat one is the machine's call: see bench:kernels.
   */
  simdThreads?: SimdThreads;
  /** Elements per ORT call on the CPU-side EPs (cpu, wasm) for large arrays (default 2^18: 1 MiB of float32). */
  ortChunk?: number;
}

export function createKernelsOn(backends: Backends, config: KernelsConfig = {}): Kernels {
  const ortChunk = config.ortChunk ?? ORT_CHUNK;
  if (!Number.isInteger(ortChunk) || ortChunk < 1) throw new TreluError('E_USAGE', `ortChunk must be a positive integer, not ${ortChunk}`);
  const sessions = new Map<string, Promise<BackendSession>>();

  const session = (ep: EpName, op: 'forward' | 'grad', dtype: FloatDType, alpha: number, keepOnDevice: boolean): Promise<BackendSession> => {
    const key = `${ep}|${op}|${dtype}|${Math.fround(alpha)}|${keepOnDevice}`;
    let s = sessions.get(key);
    if (s) {
      sessions.delete(key); // move to the back: most recently used
      sessions.set(key, s);
      return s;
    }
    s = backends.get(ep).createSession(kernelModel(op, dtype, alpha), { ...KERNEL_MODEL_SESSION_OPTIONS, strictEp: true, ...(keepOnDevice ? { preferredOutputLocation: 'gpu-buffer' } : {}) });
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
    if (sessions.size > MAX_SESSIONS) {
      const [oldest, victim] = sessions.entries().next().value as [string, Promise<BackendSession>];
      sessions.delete(oldest);
      void victim.then((v) => v.release(), () => undefined);
    }
    return s;
  };

  const asTensor = (x: Input, dtype: FloatDType, ep: EpName): TensorLike => {
    if (isTensor(x)) {
      // onnxruntime-web takes its gpu-buffer tensors back as inputs: that is how data stays on the device between calls
      if (onDevice(x) && backends.get(ep).runtime === 'onnxruntime-node') {
        throw new TreluError('E_UNSUPPORTED', 'device-resident tensors cannot be fed back in onnxruntime-node (ORT 1.30 aborts the process); call getData() first');
      }
      return x;
    }
    if (dtype === 'bfloat16') throw new TreluError('E_UNSUPPORTED', 'no ONNX Runtime EP has a bfloat16 ThresholdedRelu kernel; use ep: \'js\'');
    return { type: dtype, data: x, dims: [x.length] };
  };

  const run = async (op: 'forward' | 'grad', inputs: Input[], options: KernelOptions): Promise<Input> => {
    const ep = options.ep ?? 'js';
    const alpha = options.alpha ?? DEFAULT_ALPHA;
    const dtype = dtypeOf(inputs[0]!, options.dtype);
    if (ep === 'simd' && dtype === 'float32') {
      const arrays = inputs.map((t) => (isTensor(t) ? t.data : t)) as Float32Array[];
      const out = (options.out as Float32Array | undefined) ?? new Float32Array(arrays[0]!.length);
      const pool = config.simdThreads;
      if (pool && [...arrays, out].every((a) => inSimdArena(a) && a.byteOffset % 16 === 0)) {
        const r = op === 'forward' ? await pool.thresholdedRelu(arrays[0]!, alpha, out) : await pool.thresholdedReluGrad(arrays[0]!, arrays[1]!, alpha, out);
        return isTensor(inputs[0]!) ? { type: 'float32', data: r, dims: inputs[0].dims } : r;
      }
      const result = op === 'forward' ? thresholdedReluSimd(arrays[0]!, alpha, out) : thresholdedReluGradSimd(arrays[0]!, arrays[1]!, alpha, out);
      if (result) return isTensor(inputs[0]!) ? { type: 'float32', data: result, dims: inputs[0].dims } : result;
      // no WebAssembly SIMD here: the reference kernel below
    }
    if (ep === 'js' || ep === 'simd') {
      const arrays = inputs.map((t) => (isTensor(t) ? t.data : t)) as FloatArray[];
      const out = options.out as never;
      const result = op === 'forward'
        ? thresholdedReluReference(arrays[0] as never, alpha, dtype, out)
        : thresholdedReluGradReference(arrays[0] as never, arrays[1] as never, alpha, dtype, out);
      return isTensor(inputs[0]!) ? { type: inputs[0].type, data: result as TensorLike['data'], dims: inputs[0].dims } : result;
    }
    if (options.keepOnDevice && backends.get(ep).runtime === 'onnxruntime-node') {
      throw new TreluError('E_UNSUPPORTED', 'keepOnDevice is not available with onnxruntime-node: ORT 1.30 aborts the process when a gpu-buffer output is read back or fed in again', {
        hint: 'leave keepOnDevice off in Node; device-resident chaining is for onnxruntime-web\'s WebGPU backend in browsers',
      });
    }
    const s = await session(ep, op, dtype, alpha, !!options.keepOnDevice);
    const tensors = inputs.map((t) => asTensor(t, dtype, ep));
    const n = elementCount(tensors[0]!);
    if (options.out && options.out.length !== n) throw new TreluError('E_USAGE', `out has ${options.out.length} elements, X ${n}`);
    if (CHUNKED_EPS.has(ep) && !options.keepOnDevice && !tensors.some(onDevice) && n > ortChunk) {
      const out = (options.out ?? allocLike(dtype, n)) as Float32Array;
      if (op === 'grad' && (tensors[1]!.data as ArrayLike<number>).length !== n) throw new TreluError('E_USAGE', `dY has ${(tensors[1]!.data as ArrayLike<number>).length} elements, X ${n}`);
      await runChunked(s, op, tensors.map((t) => t.data as Float32Array), out, tensors[0]!.type, ortChunk);
      return isTensor(inputs[0]!) ? { type: tensors[0]!.type, data: out, dims: tensors[0]!.dims } : out;
    }
    const feeds: Record<string, TensorLike> = op === 'forward' ? { x: tensors[0]! } : { x: tensors[0]!, dy: tensors[1]! };
    if (options.out) {
      await s.run(feeds, { y: { type: tensors[0]!.type, data: options.out, dims: tensors[0]!.dims } });
      return options.out;
    }
    const y = (await s.run(feeds)).y!;
    return isTensor(inputs[0]!) || options.keepOnDevice ? y : (y.data as FloatArray);
  };

  return {
    thresholdedRelu: (x, options = {}) => run('forward', [x], options),
    thresholdedReluGrad: (x, dy, options = {}) => run('grad', [x, dy], options),
    async release() {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((p) => p.then((s) => s.release(), () => undefined)));
    },
  };
}
