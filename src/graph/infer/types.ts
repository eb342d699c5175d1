/** The vocabulary of type and shape inference (see ./index.ts). */
import type { Node } from '../node.js';
import type { Value } from '../value.js';

/** A dimension: a number (fixed), a string (symbolic, dim_param) or undefined (unknown). */
export type Dim = number | string | undefined;

export interface TensorInfo {
  /** TensorProto.DataType; undefined: unknown. */
  elemType?: number;
  /** undefined: rank unknown. */
  shape?: Dim[];
  /**
   * The elements of a small (rank 0 or 1, at most MAX_PROPAGATED elements)
   * numeric tensor whose values inference could follow: a shape computed by
   * Shape → Gather → Concat, the scales of a Resize. Symbolic dims stay strings.
   */
  value?: Dim[];
}

/** The largest tensor whose elements inference follows (onnx's data propagation is for shapes, too). */
export const MAX_PROPAGATED = 64;
/** The largest rank inference builds: a ConstantOfShape fed a [2147483648] shape gets an unknown rank, not an array of 2^31 dims. */
export const MAX_RANK = 64;

/** What a rule sees: the node, what is known about its inputs, and the ai.onnx opset in force. */
export interface RuleInput {
  readonly node: Node;
  /** One entry per input; {} for an omitted optional input or one nothing is known about. */
  readonly ins: readonly TensorInfo[];
  /** Whether input i is present (an omitted optional input is ""). */
  present(i: number): boolean;
  readonly opset: number | undefined;
}

/** A shape rule: each output's shape (and, for shape arithmetic, value); undefined entries are unknown. */
export type ShapeRule = (r: RuleInput) => (TensorInfo | undefined)[] | undefined;

export type ValueLookup = (v: Value) => TensorInfo;
