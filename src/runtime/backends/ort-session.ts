/**
 * What onnxruntime-node's and onnxruntime-web's sessions have in common: the
 * names, and turning TensorLike values into the runtime's own Tensor class.
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
