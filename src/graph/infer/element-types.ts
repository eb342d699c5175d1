/**
 * Output element types of ai.onnx ops: from the table generated from the
 * onnx schemas' type constraints (op-types.generated.ts), and, for outputs
 * whose type an attribute decides, from that attribute.
 */
import { DataType } from '../../onnx/proto.js';
import { ONNX_OUTPUT_TYPES, type OutputTypeSource } from './op-types.generated.js';
import type { RuleInput } from './types.js';
import { constantNodeInfo } from './constants.js';

/** Outputs whose type an attribute (or an input other than the schema's) sets. */
const BY_ATTRIBUTE: Record<string, (r: RuleInput) => (number | undefined)[]> = {
  Cast: (r) => [r.node.attrs.int('to') || undefined],
  CastLike: (r) => [r.ins[1]?.elemType],
  Constant: (r) => [constantNodeInfo(r.node)?.elemType],
  ConstantOfShape: (r) => [r.node.attrs.tensor('value')?.dataType ?? DataType.FLOAT],
  RandomNormal: (r) => [r.node.attrs.int('dtype', DataType.FLOAT)],
  RandomUniform: (r) => [r.node.attrs.int('dtype', DataType.FLOAT)],
  RandomNormalLike: (r) => [r.node.attrs.int('dtype') ?? r.ins[0]?.elemType],
  RandomUniformLike: (r) => [r.node.attrs.int('dtype') ?? r.ins[0]?.elemType],
  EyeLike: (r) => [r.node.attrs.int('dtype') ?? r.ins[0]?.elemType],
  Bernoulli: (r) => [r.node.attrs.int('dtype') ?? r.ins[0]?.elemType],
  Multinomial: (r) => [r.node.attrs.int('dtype', DataType.INT32)],
  QuantizeLinear: (r) => [r.present(2) ? r.ins[2]?.elemType : DataType.UINT8],
  DynamicQuantizeLinear: () => [DataType.UINT8, DataType.FLOAT, DataType.UINT8],
  HammingWindow: (r) => [r.node.attrs.int('output_datatype', DataType.FLOAT)],
  HannWindow: (r) => [r.node.attrs.int('output_datatype', DataType.FLOAT)],
  BlackmanWindow: (r) => [r.node.attrs.int('output_datatype', DataType.FLOAT)],
  MelWeightMatrix: (r) => [r.node.attrs.int('output_datatype', DataType.FLOAT)],
  TfIdfVectorizer: () => [DataType.FLOAT],
  // Mean and InvStdDev are computed in stash_type (float by default)
  LayerNormalization: (r) => [r.ins[0]?.elemType, r.node.attrs.int('stash_type', DataType.FLOAT), r.node.attrs.int('stash_type', DataType.FLOAT)],
  // the schema gives Y its own type parameter; onnx's inference (and every runtime) gives it X's type
  GridSample: (r) => [r.ins[0]?.elemType],
};

/** The schema version of `op` in force at `opset` (the newest this table knows when the opset is unknown). */
function sourcesAt(op: string, opset: number | undefined): readonly OutputTypeSource[] | undefined {
  const versions = Object.hasOwn(ONNX_OUTPUT_TYPES, op) ? ONNX_OUTPUT_TYPES[op] : undefined; // op types are model data: 'constructor' is one
  if (!versions) return undefined;
  let found = versions[versions.length - 1]![1];
  if (opset !== undefined) {
    const v = [...versions].reverse().find(([since]) => since <= opset);
    if (v) found = v[1];
  }
  return found;
}

/** Element type of each output of an ai.onnx node (undefined where it is not known). */
export function outputElementTypes(r: RuleInput): (number | undefined)[] {
  const n = r.node.outputs.length;
  const special = Object.hasOwn(BY_ATTRIBUTE, r.node.opType) ? BY_ATTRIBUTE[r.node.opType] : undefined;
  if (special) return special(r);
  const sources = sourcesAt(r.node.opType, r.opset);
  if (!sources || sources.length === 0) return [];
  return Array.from({ length: n }, (_, i) => {
    const s = sources[Math.min(i, sources.length - 1)];
    if (s === null || s === undefined) return undefined;
    if (typeof s === 'number') return s;
    for (const k of s) if (r.present(k) && r.ins[k]?.elemType !== undefined) return r.ins[k]!.elemType;
    return undefined;
  });
}
