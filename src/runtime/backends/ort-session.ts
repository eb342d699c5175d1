/**
 * What onnxruntime-node's and onnxruntime-web's sessions have in common: the
 * names, turning TensorLike values into the runtime's own Tensor class, and
 * freeing the fresh output copies both hand back (releaseCopy).
 */
import type { TensorLike } from '../tensor.js';

/** The part of an ORT module this needs (both packages' `Tensor` constructors fit). */
export interface OrtTensorModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => object;
}

export interface OrtInferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

export abstract class OrtSessionBase<S extends OrtInferenceSession> {
  constructor(protected readonly ort: OrtTensorModule, protected readonly session: S) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Values as the runtime's Tensors (ORT tensors pass through as they are). */
  protected toOrt(values: Record<string, TensorLike>): Record<string, never> {
    const convert = (t: TensorLike) => (t instanceof this.ort.Tensor ? t : new this.ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims));
    return Object.fromEntries(Object.entries(values).map(([k, t]) => [k, convert(t) as never]));
  }
}

const transfer = (ArrayBuffer.prototype as { transfer?: (this: ArrayBuffer, length: number) => ArrayBuffer }).transfer;

/**
 * Detaches `copy`'s ArrayBuffer where ArrayBuffer.prototype.transfer exists
 * (browsers, Node 22+; Node 20 with --harmony-rab-gsab-transfer), so its memory
 * goes back to the allocator now instead of at the next GC: both runtimes
 * return each output as a fresh copy (onnxruntime-node even of a pre-allocated
 * output, see keepPreallocated in ort-node.ts; onnxruntime-web out of its wasm
 * heap), and chunked kernel-API calls otherwise pile up tens of MiB of them.
 * Never `kept`'s buffer (the caller's), an empty or a shared buffer; a
 * WebAssembly memory's buffer cannot be detached (it throws, and is left alone).
 */
export function releaseCopy(copy: unknown, kept: unknown): void {
  const buffer = ArrayBuffer.isView(copy) ? copy.buffer : undefined;
  if (!transfer || !(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
  if (ArrayBuffer.isView(kept) && kept.buffer === buffer) return;
  try {
    transfer.call(buffer, 0);
  } catch {
    // not detachable: left to the GC
  }
}
