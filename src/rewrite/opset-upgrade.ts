/**
 * Upgrading a model's ai.onnx opset import. For every node whose operator
 * gets a new version between the two opsets, each version step is either
 * compatible (types added, clarifications), adapted (e.g. attributes that
 * became inputs), or a blocker: then nothing changes and the error lists every
 * blocking node with the reason.
 *
 * Targets up to KNOWN_MAX_OPSET (the version history generated from the onnx
 * package) are supported. Function bodies keep their own imports.
 */
import { TreluError } from '../errors.js';
import { AttributeType, DataType } from '../onnx/proto.js';
import { makeTensor } from '../onnx/tensor.js';
import type { Model } from '../graph/model.js';
import type { Node } from '../graph/node.js';
import type { Graph } from '../graph/graph.js';
import { Value } from '../graph/value.js';
import { attr } from '../graph/attributes.js';
import { inferModel } from '../graph/infer/index.js';
import { graphPlaces } from '../graph/locations.js';
import { ONNX_OP_VERSIONS, KNOWN_MAX_OPSET } from '../ops/onnx-op-versions.js';
import { isAiOnnxDomain } from '../onnx/domain.js';

export interface UpgradeReport {
  from: number;
  to: number;
  /** `node: what was adapted`, one per adapted step. */
  adapted: string[];
}

export interface Blocker {
  node: string;
  opType: string;
  location: string;
  reason: string;
}

/** The version of `op` in force at `opset`, or undefined if it has none yet. */
export function opVersionAt(op: string, opset: number): number | undefined {
  let v: number | undefined;
  for (const s of (Object.hasOwn(ONNX_OP_VERSIONS, op) ? ONNX_OP_VERSIONS[op] : undefined) ?? []) if (s <= opset) v = s;
  return v;
}

interface StepContext {
  model: Model;
  graph: Graph;
  /** Adds an int64 initializer and returns it. */
  int64Initializer(base: string, values: number[]): Value;
}

/**
 * A version step that needs work: `block` says why it cannot be carried over
 * (it only reads the node, so every refusal is known before anything
 * changes); `apply` edits the node and says what it did.
 */
interface Step {
  /** Why this node cannot be adapted (its values carry their inferred types), or undefined. */
  block?(node: Node): string | undefined;
  apply?(node: Node, ctx: StepContext): string | undefined;
}

const dropAttr = (node: Node, ...names: string[]) => names.forEach((n) => node.removeAttribute(n));

/** Drops a legacy attribute if present. */
const dropLegacy = (name: string, blockIf?: (node: Node) => string | undefined): Step => ({
  block: blockIf,
  apply(node) {
    if (!node.attribute(name)) return undefined;
    dropAttr(node, name);
    return `dropped legacy ${name}`;
  },
});

/** Moves an INTS attribute to a new int64 initializer input at `index` (filling skipped optional inputs with ''). */
function attrToInput(node: Node, ctx: StepContext, name: string, index: number): string | undefined {
  const values = node.attrs.ints(name);
  if (!values) return undefined;
  setInput(node, index, ctx.int64Initializer(`${node.name || node.opType}_${name}`, values));
  dropAttr(node, name);
  return `attribute ${name} → input ${index}`;
}

function setInput(node: Node, index: number, v: Value): void {
  while (node.inputs.length < index) node.appendInput(undefined);
  if (node.inputs.length === index) node.appendInput(v);
  else node.replaceInput(index, v);
}

/** Moves a FLOAT attribute to a new float32 scalar initializer input at `index`. */
function floatAttrToInput(node: Node, ctx: StepContext, name: string, index: number): string | undefined {
  const a = node.attribute(name);
  if (!a) return undefined;
  const vname = ctx.model.valueNames.unique(`${node.name || node.opType}_${name}`);
  const v = new Value(vname, { initializer: makeTensor(vname, [], Float32Array.of(a.f)) });
  ctx.graph.addInitializer(v);
  setInput(node, index, v);
  dropAttr(node, name);
  return `attribute ${name} → input ${index}`;
}

const attrsToInputs = (...specs: [name: string, index: number, required: boolean][]): Step => ({
  block: (node) => specs.filter(([n, , req]) => req && !node.attribute(n)).map(([n]) => `attribute ${n} is missing`)[0],
  apply: (node, ctx) => specs.map(([n, i]) => attrToInput(node, ctx, n, i)).filter(Boolean).join('; ') || undefined,
});

/** Softmax family 11 → 13: from "flatten to 2-D at axis" to "one axis"; the same only when axis is the last dim. */
const softmaxAxis: Step = {
  block(node) {
    const rank = node.inputs[0]?.shapeInfo?.length; // a Softmax without its input (a malformed model) has no rank either
    if (rank === undefined) return 'the input rank is unknown; opset 13 changed how axis applies';
    let axis = node.attrs.int('axis') ?? 1;
    if (axis < 0) axis += rank;
    return axis === rank - 1 ? undefined : `axis ${axis} is not the last of ${rank} dims; opset 13 computes over one axis, not the flattened tail`;
  },
  apply(node, ctx) {
    const rank = node.inputs[0]!.shapeInfo!.length;
    node.setAttribute(attr.int('axis', rank - 1));
    return `axis made explicit (${rank - 1})`;
  },
};

const trainingOff = (node: Node) => (node.attrs.int('is_test') === 0 ? 'is_test = 0 (training mode) has no later equivalent' : undefined);
const LEGACY_BROADCAST_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Equal', 'Greater', 'Less', 'And', 'Or', 'Xor', 'Gemm', 'PRelu'];
const CONSUMED_INPUTS_OPS = ['Abs', 'Add', 'Sub', 'Mul', 'Div', 'Ceil', 'Elu', 'Exp', 'Floor', 'HardSigmoid', 'LeakyRelu', 'Log', 'Neg', 'Reciprocal', 'Relu', 'Selu', 'Sigmoid', 'Sqrt', 'Tanh', 'Sum', 'Max', 'Min', 'Mean', 'Clip', 'InstanceNormalization', 'PRelu', 'Gemm', 'BatchNormalization', 'Dropout'];

const STEPS: Record<string, Step> = {
  ...Object.fromEntries(CONSUMED_INPUTS_OPS.map((op) => [`${op}@6`, dropLegacy('consumed_inputs')])),
  // numpy broadcasting equals the legacy kind when no axis is given
  ...Object.fromEntries(LEGACY_BROADCAST_OPS.map((op) => [`${op}@7`, dropLegacy('broadcast', (n) => (n.attribute('axis') ? 'legacy broadcast with an explicit axis has no opset-7 equivalent' : undefined))])),
  'BatchNormalization@7': dropLegacy('is_test', trainingOff),
  'BatchNormalization@9': dropLegacy('spatial', (n) => (n.attrs.int('spatial') !== undefined && n.attrs.int('spatial') !== 1 ? 'spatial = 0 has no opset-9 equivalent' : undefined)),
  'BatchNormalization@14': { block: (n) => (n.outputs.length > 1 ? 'training-mode outputs changed meaning in opset 14' : undefined) },
  'Dropout@7': dropLegacy('is_test', trainingOff),
  'Dropout@10': { block: (n) => (n.outputs[1]?.hasUses() ? 'the mask output changed type to bool in opset 10 and is used' : undefined) },
  'Dropout@12': { apply: (n, ctx) => floatAttrToInput(n, ctx, 'ratio', 1) },
  'Cast@6': {
    block(n) {
      const to = n.attribute('to');
      if (to?.type !== AttributeType.STRING) return undefined;
      return (DataType as unknown as Record<string, number>)[new TextDecoder().decode(to.s).toUpperCase()] === undefined ? 'unknown Cast target' : undefined;
    },
    apply(n) {
      const to = n.attribute('to');
      if (to?.type !== AttributeType.STRING) return undefined;
      const name = new TextDecoder().decode(to.s).toUpperCase();
      n.setAttribute(attr.int('to', (DataType as unknown as Record<string, number>)[name]!));
      return `to '${name}' → enum`;
    },
  },
  'Reshape@5': attrsToInputs(['shape', 1, true]),
  'Concat@4': {
    apply(n) {
      if (n.attribute('axis')) return undefined;
      n.setAttribute(attr.int('axis', 1));
      return 'axis made explicit (1, the old default)';
    },
  },
  'Pad@2': {
    apply(n) {
      const p = n.attrs.ints('paddings');
      if (!p) return undefined;
      dropAttr(n, 'paddings');
      n.setAttribute(attr.ints('pads', p));
      return 'paddings → pads';
    },
  },
  'Pad@11': {
    block: (n) => (n.attribute('pads') || n.attribute('paddings') ? undefined : 'pads missing'),
    apply: (n, ctx) => [attrToInput(n, ctx, 'pads', 1), floatAttrToInput(n, ctx, 'value', 2)].filter(Boolean).join('; '),
  },
  'Slice@10': attrsToInputs(['starts', 1, true], ['ends', 2, true], ['axes', 3, false]),
  'TopK@10': {
    block: (n) => (n.attribute('k') ? undefined : 'k missing'),
    apply(n, ctx) {
      setInput(n, 1, ctx.int64Initializer(`${n.name || 'topk'}_k`, [n.attrs.int('k')!]));
      dropAttr(n, 'k');
      return 'k attribute → input';
    },
  },
  'Clip@11': {
    block: (n) => ((n.attribute('min') || n.attribute('max')) && n.inputs[0]?.dtype !== DataType.FLOAT ? 'min/max attributes on a non-float32 (or unknown-type) input' : undefined),
    apply: (n, ctx) => [floatAttrToInput(n, ctx, 'min', 1), floatAttrToInput(n, ctx, 'max', 2)].filter(Boolean).join('; ') || undefined,
  },
  'Squeeze@13': attrsToInputs(['axes', 1, false]),
  'Unsqueeze@13': attrsToInputs(['axes', 1, true]),
  'ReduceSum@13': attrsToInputs(['axes', 1, false]),
  'Split@13': attrsToInputs(['split', 1, false]),
  'Softmax@13': softmaxAxis,
  'LogSoftmax@13': softmaxAxis,
  'Hardmax@13': softmaxAxis,
  'Upsample@10': { block: () => 'Upsample is deprecated in opset 10 (convert it to Resize)' },
  // Resize-13 made roi/scales optional and dropped one coordinate mode (onnx's converter: Compatible 12→13).
  'Resize@13': { block: (n) => (n.attrs.string('coordinate_transformation_mode', 'half_pixel') === 'tf_half_pixel_for_nn' ? "coordinate_transformation_mode 'tf_half_pixel_for_nn' was removed at Resize-13" : undefined) },
};

/** Version steps that keep meaning and signature (types added, clarifications, defaults unchanged). */
const COMPATIBLE = new Set<string>([
  ...['Relu@13', 'Relu@14', 'LeakyRelu@16', 'PRelu@9', 'PRelu@16', 'Sigmoid@13', 'Tanh@13', 'Exp@13', 'Log@13', 'Sqrt@13', 'Neg@13', 'Abs@13', 'Reciprocal@13', 'Floor@13', 'Ceil@13', 'Elu@6', 'Selu@6', 'HardSigmoid@6'],
  ...['Add@13', 'Add@14', 'Sub@13', 'Sub@14', 'Mul@13', 'Mul@14', 'Div@13', 'Div@14', 'Pow@12', 'Pow@13', 'Pow@15', 'Sum@8', 'Sum@13', 'Max@8', 'Max@12', 'Max@13', 'Min@8', 'Min@12', 'Min@13', 'Mean@8', 'Mean@13'],
  ...['Equal@11', 'Equal@13', 'Greater@9', 'Greater@13', 'Less@9', 'Less@13', 'Where@16', 'Not@1', 'GreaterOrEqual@16', 'LessOrEqual@16'],
  ...['Gemm@9', 'Gemm@11', 'Gemm@13', 'MatMul@9', 'MatMul@13', 'Conv@11', 'ConvTranspose@11', 'MaxPool@8', 'MaxPool@10', 'MaxPool@11', 'MaxPool@12', 'AveragePool@7', 'AveragePool@10', 'AveragePool@11'],
  ...['GlobalAveragePool@1', 'Flatten@9', 'Flatten@11', 'Flatten@13', 'Reshape@13', 'Reshape@14', 'Transpose@13', 'Concat@11', 'Concat@13', 'Identity@13', 'Identity@14', 'Identity@16'],
  ...['Constant@9', 'Constant@11', 'Constant@12', 'Constant@13', 'Gather@11', 'Gather@13', 'Shape@13', 'Shape@15', 'Cast@9', 'Cast@13', 'Squeeze@11', 'Unsqueeze@11', 'Slice@11', 'Slice@13', 'TopK@11'],
  ...['BatchNormalization@15', 'Dropout@13', 'InstanceNormalization@6', 'LRN@13', 'Clip@12', 'Clip@13', 'Pad@13', 'Softmax@11', 'LogSoftmax@11', 'Hardmax@11', 'Split@11', 'Split@2'],
  ...['ReduceMean@11', 'ReduceMean@13', 'ReduceMax@11', 'ReduceMax@12', 'ReduceMax@13', 'ReduceMin@11', 'ReduceMin@12', 'ReduceMin@13', 'ReduceSum@11', 'ReduceProd@11', 'ReduceProd@13'],
  ...['If@11', 'If@13', 'If@16'],
  ...['Expand@13', 'ConstantOfShape@9', 'Tile@6', 'Tile@13', 'Sign@13', 'Erf@13', 'IsNaN@13', 'Softplus@1', 'Softsign@1', 'ArgMax@11', 'ArgMax@12', 'ArgMax@13', 'ArgMin@11', 'ArgMin@12', 'ArgMin@13'],
]);

/**
 * Raises the model's ai.onnx import to `target`, adapting nodes on the way;
 * throws E_UNSUPPORTED listing every blocker (and changes nothing) if any node
 * cannot be carried over.
 */
export function upgradeOpset(model: Model, target: number): UpgradeReport {
  const from = model.onnxOpset;
  if (from === undefined) throw new TreluError('E_UNSUPPORTED', 'the model imports no ai.onnx opset');
  if (target > KNOWN_MAX_OPSET) {
    throw new TreluError('E_UNSUPPORTED', `opset ${target} is beyond ${KNOWN_MAX_OPSET}, the newest this tool has the operator history of`, { hint: `choose a target up to ${KNOWN_MAX_OPSET}` });
  }
  if (target < from) throw new TreluError('E_UNSUPPORTED', `downgrading (${from} → ${target}) is not supported`);
  if (target === from) return { from, to: target, adapted: [] };
  inferModel(model);
  // Plan first, so that a blocked upgrade leaves the model untouched.
  const blockers: Blocker[] = [];
  const plan: { node: Node; graph: Graph; location: string; steps: string[] }[] = [];
  for (const place of graphPlaces(model)) {
    if (place.fn) continue;
    for (const node of place.graph) {
      if (!isAiOnnxDomain(node.domain)) continue;
      const history = Object.hasOwn(ONNX_OP_VERSIONS, node.opType) ? ONNX_OP_VERSIONS[node.opType] : undefined;
      if (!history) {
        blockers.push({ node: node.name, opType: node.opType, location: place.location, reason: 'not an ai.onnx operator this tool knows' });
        continue;
      }
      const steps = history.filter((v) => v > from && v <= target).map((v) => `${node.opType}@${v}`);
      if (opVersionAt(node.opType, from) === undefined && opVersionAt(node.opType, target) !== undefined) {
        blockers.push({ node: node.name, opType: node.opType, location: place.location, reason: `does not exist at opset ${from}` });
        continue;
      }
      const unknown = steps.filter((s) => !COMPATIBLE.has(s) && !STEPS[s]);
      if (unknown.length) {
        blockers.push({ node: node.name, opType: node.opType, location: place.location, reason: `changes at ${unknown.join(', ')} that this tool does not know how to carry over` });
        continue;
      }
      if (steps.some((s) => STEPS[s])) plan.push({ node, graph: place.graph, location: place.location, steps: steps.filter((s) => STEPS[s]) });
    }
  }
    for (const p of plan) {
    for (const step of p.steps) {
      const reason = STEPS[step]!.block?.(p.node);
      if (reason) blockers.push({ node: p.node.name, opType: p.node.opType, location: p.location, reason: `${step}: ${reason}` });
    }
  }
  if (blockers.length) {
    const list = blockers.map((b) => `${b.opType} '${b.node || '?'}' in ${b.location}: ${b.reason}`);
    throw new TreluError('E_UNSUPPORTED', `cannot upgrade opset ${from} → ${target}; blocked by ${blockers.length} node(s): ${list.join('; ')}`, {
      hint: 'upgrade with the onnx version converter first, or choose another target',
    });
  }
  const adapted: string[] = [];
  for (const p of plan) {
    const ctx: StepContext = {
      model, graph: p.graph,
      int64Initializer: (base, values) => {
        const name = model.valueNames.unique(base);
        const v = new Value(name, { initializer: makeTensor(name, [values.length], BigInt64Array.from(values.map(BigInt))) });
        p.graph.addInitializer(v);
        return v;
      },
    };
    for (const step of p.steps) {
      const done = STEPS[step]!.apply?.(p.node, ctx);
      if (done) adapted.push(`${p.node.opType} '${p.node.name}': ${done}`);
    }
  }
  model.opsetImports.set(model.opsetImports.has('ai.onnx') ? 'ai.onnx' : '', target);
  if (model.irVersion < 3) model.irVersion = 3;
  return { from, to: target, adapted };
}
