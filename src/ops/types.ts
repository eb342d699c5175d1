/**
 * What an op module exports: one plain object per op, no global registry
 * (where ops are listed, they are a plain array). Modelled on tfjs's op/kernel/gradient split, joined
 * here by the object itself instead of a kernel-name string.
 */
import type { AttributeProto } from '../onnx/proto.js';

/** Element types the toolkit's reference kernels work on. */
export type FloatDType = 'float32' | 'float64' | 'float16' | 'bfloat16';

/** TensorProto.DataType of each FloatDType (FLOAT, DOUBLE, FLOAT16, BFLOAT16). */
export const FLOAT_DTYPE_TO_ONNX: Readonly<Record<FloatDType, number>> = { float32: 1, float64: 11, float16: 10, bfloat16: 16 };

/** The FloatDType of a TensorProto.DataType, or undefined for types that are not one. */
export function floatDTypeOf(dataType: number | undefined): FloatDType | undefined {
  for (const [d, id] of Object.entries(FLOAT_DTYPE_TO_ONNX)) if (id === dataType) return d as FloatDType;
  return undefined;
}

/** The typed array that holds each dtype (float16/bfloat16 as bit patterns). */
export type FloatArray<D extends FloatDType = FloatDType> = D extends 'float32' ? Float32Array : D extends 'float64' ? Float64Array : Uint16Array;

export interface OpVersion {
  /** The opset version that introduced this version of the op. */
  sinceVersion: number;
  /** Allowed input element types (TensorProto.DataType numbers). */
  types: readonly number[];
  /** Marked experimental in ONNX (the pre-10 ThresholdedRelu). */
  experimental?: boolean;
}

export interface AttributeSpec {
  name: string;
  /** AttributeProto.AttributeType. */
  type: number;
  /** Default when absent; undefined for required attributes. */
  default?: unknown;
}

export interface OpDefinition<Attrs> {
  domain: string;
  opType: string;
  /** Every version, oldest first. */
  versions: readonly OpVersion[];
  attributes: readonly AttributeSpec[];
  inputs: { min: number; max: number };
  outputs: { min: number; max: number };
  /** Reads the node's attributes, applying defaults. Throws on a bad attribute. */
  parseAttributes(attrs: readonly AttributeProto[]): Attrs;
}

/** The version of `def` a node resolves to under ai.onnx opset `opset`, or undefined if none. */
export function resolveVersion(def: OpDefinition<unknown>, opset: number): OpVersion | undefined {
  let found: OpVersion | undefined;
  for (const v of def.versions) if (v.sinceVersion <= opset) found = v;
  return found;
}
