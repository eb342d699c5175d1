/**
 * Dropout in training mode, reproducibly: Y = X · mask, where `mask` is a new
 * graph input of X's shape holding 0 or 1/(1-ratio) (torch's inverted
 * dropout). The trainer fills it from a seeded generator keyed by the seed
 * and the step, so a run (and a resumed run) draws the same masks on every
 * EP; a test can feed torch's own mask. Its gradient is Mul's: dX = dY · mask.
 */
import { TreluError } from '../../errors.js';
import { onnx, DataType, type ValueInfoProto } from '../../onnx/proto.js';
import type { Model } from '../../graph/model.js';
import type { Node } from '../../graph/node.js';
import { Value } from '../../graph/value.js';
import { Builder } from '../../graph/builder.js';
import { replaceAllUsesWith } from '../../graph/mutate.js';
import type { TensorInfo, Dim } from '../../graph/infer/types.js';
import { constantOf } from '../../rewrite/constants.js';

export interface LoweredDropout {
  node: string;
  /** The mask input's name. */
  mask: string;
  ratio: number;
  /** X's shape (symbolic dims as names). */
  shape: Dim[];
}

export function dropoutRatio(node: Node): number {
  const input = node.inputs[1];
  if (input) {
    const c = constantOf(input);
    if (!c || c.values.length !== 1) throw new TreluError('E_UNSUPPORTED', `Dropout '${node.name}': its ratio is not a constant`);
    return c.values[0]!;
  }
  return node.attrs.float('ratio', 0.5);
}

export function lowerDropoutTraining(model: Model, node: Node, info: (v: Value) => TensorInfo | undefined): LoweredDropout {
  const x = node.inputs[0]!;
  const ratio = dropoutRatio(node);
  if (!(ratio >= 0 && ratio < 1)) throw new TreluError('E_UNSUPPORTED', `Dropout '${node.name}': ratio ${ratio} is not in [0, 1)`);
  const t = info(x);
  if (!t?.shape) throw new TreluError('E_UNSUPPORTED', `Dropout '${node.name}': the shape of '${x.name}' is unknown, so its mask cannot be fed`);
  if (t.elemType !== undefined && t.elemType !== DataType.FLOAT) throw new TreluError('E_UNSUPPORTED', `Dropout '${node.name}': only float32 is trained`);
  if (node.outputs[1]?.hasUses() || model.graph.outputs.includes(node.outputs[1]!)) throw new TreluError('E_UNSUPPORTED', `Dropout '${node.name}': its mask output is used; not supported in training`);
  const name = model.valueNames.unique(`${node.name || x.name}.mask`);
  const dims = t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));
  const mask = new Value(name, { info: onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims as never } } } }) as ValueInfoProto });
  model.graph.addInput(mask);
  const b = new Builder(model, model.graph, { before: node });
  const y = b.op('Mul', [x, mask], { name: 'dropout_masked' });
  const out = node.outputs[0]!;
  replaceAllUsesWith(out, y, { graphOutputs: true });
  model.graph.outputs = model.graph.outputs.filter((o) => o !== node.outputs[1]);
  model.graph.remove(node);
  return { node: node.name, mask: name, ratio, shape: t.shape };
}
